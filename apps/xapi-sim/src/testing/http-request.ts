// One plain HTTP exchange for tests of xapi's non-RPC handlers: status, headers and the whole body (small ones only).
import http from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export function httpRequest(url: string, method: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const sized = body === undefined ? headers : { 'content-length': String(Buffer.byteLength(body)), ...headers };
    const req = http.request(url, { method, headers: sized }, (res) => {
      const parts: Buffer[] = [];
      res
        .on('data', (c: Buffer) => parts.push(c))
        .on('end', () => {
          const all = Buffer.concat(parts);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: all, text: all.toString() });
        });
    });
    req.on('error', reject);
    req.end(body);
  });
}
