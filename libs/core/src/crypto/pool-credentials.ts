import type { PoolEntity } from '../database/entities/pool.entity.js';
import type { SecretBox } from './secret-box.js';

/** What a XAPI client needs to log in to one pool, with that pool's own TLS trust. */
export interface PoolCredentials {
  url: string;
  username: string;
  password: string;
  tls?: { ca?: string; fingerprint256?: string };
}

/** The XAPI_* pool a process was started with. */
export interface EnvPoolSettings {
  XAPI_URL: string;
  XAPI_USERNAME: string;
  XAPI_PASSWORD: string;
}

/** The credentials of a pool row: XAPI_* for the env pool, else the sealed password opened with POOL_ENCRYPTION_KEY. */
export function poolCredentials(row: PoolEntity, env: EnvPoolSettings, box: SecretBox | undefined, processName: string): PoolCredentials {
  if (row.fromEnv) return { url: env.XAPI_URL, username: env.XAPI_USERNAME, password: env.XAPI_PASSWORD };
  if (!row.passwordEnc) throw new Error(`pool ${row.id} has no stored password`);
  if (!box) throw new Error(`POOL_ENCRYPTION_KEY is not set on this ${processName}, so registered pools cannot be used`);
  // The pool's own trust, checked on every connection the client opens (never process-wide NODE_EXTRA_CA_CERTS).
  const tls = row.tlsCaPem ? { ca: row.tlsCaPem } : row.tlsFingerprint ? { fingerprint256: row.tlsFingerprint } : undefined;
  return { url: row.url, username: row.username, password: box.open(row.passwordEnc), ...(tls ? { tls } : {}) };
}
