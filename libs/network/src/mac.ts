import { randomBytes } from 'node:crypto';

/** A random unicast, locally administered MAC (02 bit set, 01 bit clear), as `aa:bb:cc:dd:ee:ff`. */
export function randomLocalMac(bytes: Buffer = randomBytes(6)): string {
  const b = Buffer.from(bytes.subarray(0, 6));
  b[0] = (b[0] & 0xfc) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}
