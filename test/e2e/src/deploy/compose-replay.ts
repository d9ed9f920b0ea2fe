// Reads docker-compose.yml as compose does (anchors, `${VAR}`, `${VAR:-default}`, `${VAR:?error}`), so its app
// services can be started as plain processes from a replayed image.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface ComposeService {
  name: string;
  command?: string[];
  environment: Record<string, string>;
  dependsOn: Record<string, { condition?: string }>;
  ports: string[];
  stopGracePeriod?: string;
  build?: unknown;
}

/** Compose's interpolation: an unset `${X:?message}` is an error naming X, as `docker compose config` reports it. */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}/g, (_, name: string, kind?: string, arg?: string) => {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (kind === '?') throw new Error(`required variable ${name} is missing a value: ${arg}`);
    return kind === '-' ? (arg ?? '') : '';
  });
}

export function readCompose(path: string, env: Record<string, string | undefined>): ComposeService[] {
  const doc = parse(interpolate(readFileSync(path, 'utf8'), env), { merge: true }) as { services: Record<string, Record<string, unknown>> };
  return Object.entries(doc.services).map(([name, s]) => ({
    name,
    command: s.command as string[] | undefined,
    environment: Object.fromEntries(
      Object.entries((s.environment ?? {}) as Record<string, unknown>).map(([k, v]) => [k, v === null ? '' : String(v)]),
    ),
    dependsOn: (s.depends_on ?? {}) as Record<string, { condition?: string }>,
    ports: (s.ports ?? []) as string[],
    stopGracePeriod: s.stop_grace_period as string | undefined,
    build: s.build,
  }));
}
