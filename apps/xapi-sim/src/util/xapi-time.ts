// XAPI datetimes are basic ISO 8601 in UTC without dashes: 20230729T13:20:01Z.
export const EPOCH = '19700101T00:00:00Z';

export function toXapiDate(date: Date): string {
  const iso = date.toISOString(); // 2023-07-29T13:20:01.123Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 19)}Z`;
}

export function nowXapiDate(): string {
  return toXapiDate(new Date());
}

// Accepts the basic form, dashed ISO, and a missing Z (clients send all three); null when unparseable.
export function normaliseXapiDate(text: string): string | null {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(?:\.\d+)?(Z|[+-]00:?00)?$/.exec(text.trim());
  if (!m) return null;
  return `${m[1]}${m[2]}${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
}
