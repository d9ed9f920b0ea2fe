import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';

export interface ServedRoute {
  method: string;
  /** Express template, e.g. `/v1/vms/:id`. */
  path: string;
  /** `METHOD /path`, the key test tables classify routes by. */
  key: string;
  /** Names of the path parameters, in order. */
  params: string[];
}

/** Every route the running app serves, read from its Express router (so a new route can never be missed). */
export function servedRoutes(app: INestApplication): ServedRoute[] {
  const router = app.getHttpAdapter().getInstance().router as { stack: { route?: { path: string; methods?: Record<string, boolean> } }[] };
  const out: ServedRoute[] = [];
  for (const layer of router.stack) {
    const route = layer.route;
    if (!route) continue;
    for (const m of Object.keys(route.methods ?? {})) {
      if (m === '_all') continue;
      const method = m.toUpperCase();
      out.push({ method, path: route.path, key: `${method} ${route.path}`, params: [...route.path.matchAll(/:(\w+)/g)].map((x) => x[1]) });
    }
  }
  return out;
}

/** The routes of the public /v1 surface (the OpenAPI document itself excluded). */
export function apiRoutes(app: INestApplication): ServedRoute[] {
  return servedRoutes(app).filter((r) => r.path.startsWith('/v1/') && r.path !== '/v1/openapi.json');
}

type Operation = {
  parameters?: { name: string; in: string; schema?: Record<string, unknown>; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
};

/** The OpenAPI operation that documents a served route. */
export function operationOf(openapi: OpenAPIObject, r: ServedRoute): Operation {
  const item = openapi.paths[r.path.replace(/:(\w+)/g, '{$1}')] as Record<string, Operation> | undefined;
  const op = item?.[r.method.toLowerCase()];
  if (!op) throw new Error(`${r.key} is served but not documented`);
  return op;
}
