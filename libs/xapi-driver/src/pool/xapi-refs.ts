/** XAPI's null reference. */
export const NULL_REF = 'OpaqueRef:NULL';

/** True for XAPI's null ref and for the shapes seen in the wild instead of it (`""`, `Ref:…`, non-strings). */
export function isNullRef(ref: unknown): boolean {
  return typeof ref !== 'string' || ref === '' || ref === NULL_REF || !ref.startsWith('OpaqueRef:');
}

/** The ref, or null when it is a null ref. */
export function refOrNull(ref: unknown): string | null {
  return isNullRef(ref) ? null : (ref as string);
}

/** True when `s` looks like a UUID (any version). */
export function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}
