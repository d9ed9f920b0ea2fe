import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'images' })
export class ImageEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  /** XAPI template name_label or uuid that VMs are cloned from. */
  @Column('text') template: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
