import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';

/** Where `npm run build` puts the console (apps/web/dist), seen from apps/api/dist/web-ui. */
export const DEFAULT_WEB_UI_DIR = fileURLToPath(new URL('../../../web/dist', import.meta.url));

// Scripts and styles from our origin only; the console's WebSocket may live on CONSOLE_PUBLIC_URL's host.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  next();
}

/**
 * The web console at `/ui`: hashed assets cached for a year, index.html never (a deploy shows at the next load), and
 * index.html for every other path under /ui (the app's own routes). Served before the API's guard: it is public files.
 */
export function serveWebUi(app: NestExpressApplication, dir = DEFAULT_WEB_UI_DIR): void {
  const index = join(dir, 'index.html');
  app.use('/ui', securityHeaders);
  app.use('/ui/assets', express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false }));
  app.use('/ui', express.static(dir, { index: false, setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache') }));
  app.use('/ui', (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!existsSync(index)) return void res.status(404).type('text/plain').send('the web console is not built (npm run build)');
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
