import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import type { KeypairEntity } from '@xenplane/core';
import { NameField } from '../common/name-field.decorator.js';

export class CreateKeypairDto {
  @NameField({ example: 'laptop', maxLength: 100, description: "unique among the tenant's keypairs (409 name_taken)" })
  name: string;

  @ApiProperty({
    example: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG7q0y0x1b2bR6qA0Hj4z1m0o8m0uJ3z3y0Qm2q9x1aB alice@laptop',
    maxLength: 16384,
    description: 'one OpenSSH public key line (a .pub file): ssh-ed25519, ecdsa-sha2-nistp256/384/521, or ssh-rsa of 2048 bits or more',
  })
  @IsString()
  @MaxLength(16_384)
  publicKey: string;
}

export class KeypairView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: 'SHA256:8Tf2cC2mbmZs0J8wO0mFq9k8QnV3qOa8qk5cZCk0Dk4', description: 'as `ssh-keygen -lf` prints it' }) fingerprint: string;
  @ApiProperty({ description: 'the key as stored: type, base64 and comment' }) publicKey: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(this: void, k: KeypairEntity): KeypairView {
    return { id: k.id, name: k.name, fingerprint: k.fingerprint, publicKey: k.publicKey, createdAt: new Date(k.createdAt).toISOString() };
  }
}
