// A 5x7 bitmap font (drawn for this project) for the console's test pattern; lowercase renders as uppercase.
// Each glyph is 7 rows of two hex digits; bit 4 of a row is its leftmost pixel.
const glyphs: Record<string, string> = {
  A: '0e11111f111111',
  B: '1e11111e11111e',
  C: '0e11101010110e',
  D: '1e11111111111e',
  E: '1f10101e10101f',
  F: '1f10101e101010',
  G: '0e11101711110f',
  H: '1111111f111111',
  I: '0e04040404040e',
  J: '0702020202120c',
  K: '11121418141211',
  L: '1010101010101f',
  M: '111b1515111111',
  N: '11111915131111',
  O: '0e11111111110e',
  P: '1e11111e101010',
  Q: '0e11111115120d',
  R: '1e11111e141211',
  S: '0f10100e01011e',
  T: '1f040404040404',
  U: '1111111111110e',
  V: '11111111110a04',
  W: '1111111515150a',
  X: '11110a040a1111',
  Y: '11110a04040404',
  Z: '1f01020408101f',
  '0': '0e11131519110e',
  '1': '040c040404040e',
  '2': '0e11010204081f',
  '3': '1f02040201110e',
  '4': '02060a121f0202',
  '5': '1f101e0101110e',
  '6': '0608101e11110e',
  '7': '1f010204080808',
  '8': '0e11110e11110e',
  '9': '0e11110f01020c',
  ' ': '00000000000000',
  '-': '0000001f000000',
  _: '0000000000001f',
  '.': '00000000000c0c',
  ':': '000c0c000c0c00',
  '/': '01010204081010',
  '(': '02040808080402',
  ')': '08040202020408',
  '#': '0a0a1f0a1f0a0a',
  '=': '00001f001f0000',
  '+': '0004041f040400',
  ',': '000000000c0408',
  "'": '0c040800000000',
  '?': '0e110102040004',
};

const rows = new Map<string, number[]>(
  Object.entries(glyphs).map(([ch, hex]) => [ch, Array.from({ length: 7 }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16))]),
);

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;

// The 7 row bitmasks of a character; unknown characters draw as '?'.
export function glyphRows(ch: string): number[] {
  return rows.get(ch.toUpperCase()) ?? rows.get('?')!;
}
