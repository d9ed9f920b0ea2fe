import type { Request } from 'express';

interface RouteLayer {
  route?: { methods?: Record<string, boolean> };
  match(path: string): boolean;
}

/** The methods the app serves at the request's path, read from the Express router; empty when no route has that path. */
export function allowedMethods(req: Request): string[] {
  const router = (req.app as unknown as { router?: { stack: RouteLayer[] } }).router;
  const methods = new Set<string>();
  for (const layer of router?.stack ?? []) {
    if (!layer.route || !layer.match(req.path)) continue;
    for (const m of Object.keys(layer.route.methods ?? {})) if (m !== '_all') methods.add(m.toUpperCase());
  }
  // Express answers HEAD with the GET route.
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}
