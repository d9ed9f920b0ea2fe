// What a simulated VM's screen shows: colour bars, then the VM's name, uuid, host and domid in the 5x7 font.
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphRows } from './bitmap-font.js';

export const SCREEN_WIDTH = 640;
export const SCREEN_HEIGHT = 480;

export interface ScreenInfo {
  name: string;
  uuid: string;
  host: string;
  domid: number;
}

type Rgb = readonly [number, number, number];

const BARS_HEIGHT = 160;
const bars: Rgb[] = [
  [192, 192, 192],
  [192, 192, 0],
  [0, 192, 192],
  [0, 192, 0],
  [192, 0, 192],
  [192, 0, 0],
  [0, 0, 192],
  [0, 0, 0],
];
const panel: Rgb = [16, 24, 64];
const GRADIENT_TOP = 440;

interface TextLine {
  top: number;
  left: number;
  scale: number;
  colour: Rgb;
  glyphs: number[][];
}

function line(text: string, top: number, scale: number, colour: Rgb): TextLine {
  const fit = Math.floor((SCREEN_WIDTH - 48) / ((GLYPH_WIDTH + 1) * scale));
  return { top, left: 24, scale, colour, glyphs: [...text.slice(0, fit)].map(glyphRows) };
}

// Pixels are computed per row on demand: no framebuffer is kept, whatever the number of viewers.
export class TestPattern {
  readonly width = SCREEN_WIDTH;
  readonly height = SCREEN_HEIGHT;
  private readonly lines: TextLine[];

  constructor(info: ScreenInfo) {
    this.lines = [
      line('XAPI-SIM VM CONSOLE', 184, 3, [255, 255, 255]),
      line(info.name, 232, 3, [255, 224, 64]),
      line(`UUID ${info.uuid}`, 292, 2, [255, 255, 255]),
      line(`HOST ${info.host}  DOMID ${info.domid}`, 324, 2, [255, 255, 255]),
    ];
  }

  /** Writes RGB triplets of row `y`, columns x0 .. x0+w-1, into `out`. */
  row(y: number, x0: number, w: number, out: Uint8Array): void {
    const text = this.lines.find((l) => y >= l.top && y < l.top + GLYPH_HEIGHT * l.scale);
    for (let i = 0; i < w; i++) {
      const [r, g, b] = this.pixel(x0 + i, y, text);
      out[i * 3] = r;
      out[i * 3 + 1] = g;
      out[i * 3 + 2] = b;
    }
  }

  private pixel(x: number, y: number, text: TextLine | undefined): Rgb {
    if (y < BARS_HEIGHT) return bars[Math.floor((x * bars.length) / this.width)];
    if (y >= GRADIENT_TOP) {
      const v = Math.round((x * 255) / (this.width - 1));
      return [v, v, v];
    }
    if (text && x >= text.left) {
      const gx = Math.floor((x - text.left) / text.scale);
      const gy = Math.floor((y - text.top) / text.scale);
      const glyph = text.glyphs[Math.floor(gx / (GLYPH_WIDTH + 1))];
      const col = gx % (GLYPH_WIDTH + 1);
      if (glyph && col < GLYPH_WIDTH && (glyph[gy] >> (GLYPH_WIDTH - 1 - col)) & 1) return text.colour;
    }
    return panel;
  }
}
