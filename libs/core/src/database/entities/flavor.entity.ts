import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'flavors' })
export class FlavorEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('int') vcpus: number;
  @Column('int', { name: 'memory_mib' }) memoryMiB: number;
  @Column('int', { name: 'disk_gib' }) diskGiB: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
