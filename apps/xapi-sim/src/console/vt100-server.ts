// A PV guest's text console (xapi's vt100 console, the tc-port xenconsoled serves): a login banner that echoes input.
import type { Duplex } from 'node:stream';

const MAX_LINE = 4096;

export function serveVt100(stream: Duplex, info: { name: string; domid: number }, head?: Buffer): void {
  stream.on('error', () => stream.destroy());
  let line = 0;
  const echo = (chunk: Buffer) => {
    const text = chunk.toString('latin1').replace(/\r\n?|\n/g, '\r\n');
    line = /\r\n/.test(text) ? 0 : line + text.length;
    if (line > MAX_LINE) return void stream.destroy();
    stream.write(text.endsWith('\r\n') ? `${text}${info.name} login: ` : text);
  };
  stream.write(`\r\nDebian GNU/Linux 12 ${info.name} hvc0 (domid ${info.domid})\r\n\r\n${info.name} login: `);
  if (head?.length) echo(head);
  stream.on('data', echo);
}
