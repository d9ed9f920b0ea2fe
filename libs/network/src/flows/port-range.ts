/** Splits an inclusive 16-bit port range into OpenFlow `value/mask` matches (as few as the bits allow). */
export function portRangeMatches(min: number, max: number): string[] {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max > 65535 || min > max) {
    throw new RangeError(`port range ${min}..${max} is not within 0..65535 in order`);
  }
  if (min === 0 && max === 65535) return [];
  const out: string[] = [];
  let lo = min;
  while (lo <= max) {
    // The largest aligned block starting at lo that stays within max.
    let size = 1;
    while (size < 65536 && lo % (size * 2) === 0 && lo + size * 2 - 1 <= max) size *= 2;
    const mask = 0xffff & ~(size - 1);
    out.push(size === 1 ? `${lo}` : `0x${lo.toString(16).padStart(4, '0')}/0x${mask.toString(16).padStart(4, '0')}`);
    lo += size;
  }
  return out;
}
