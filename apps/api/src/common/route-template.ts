import type { Request } from 'express';

/** The matched route's template (`/v1/vms/:id`), ids never in it; undefined when no route matched. */
export function routeTemplate(req: Request): string | undefined {
  const path: unknown = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : undefined;
}
