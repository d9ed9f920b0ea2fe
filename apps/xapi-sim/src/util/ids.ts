// Reference and UUID minting: refs are OpaqueRef:<uuid v4>, as xapi's Ref.make does.
import { randomUUID } from 'node:crypto';

export const NULL_REF = 'OpaqueRef:NULL';

export function newRef(): string {
  return `OpaqueRef:${randomUUID()}`;
}

export function newUuid(): string {
  return randomUUID();
}

// Clients also send "" or "Ref:…" for an absent ref; all of these mean null.
export function isNullRef(ref: unknown): boolean {
  return typeof ref !== 'string' || ref === '' || ref === NULL_REF || !ref.startsWith('OpaqueRef:');
}
