import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '@xenplane/migrations';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** The server tests use; DATABASE_URL's host with a fresh database name per call. */
function serverUrl(): URL {
  return new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/xenplane');
}

/** Creates and migrates a fresh database for one test file; drop() removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const url = serverUrl();
  url.pathname = `/xenplane_test_${randomBytes(6).toString('hex')}`;
  const dbUrl = url.toString();
  await migrate(dbUrl);
  return {
    url: dbUrl,
    async drop() {
      const admin = serverUrl();
      admin.pathname = '/postgres';
      const client = new pg.Client({ connectionString: admin.toString() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${url.pathname.slice(1)}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A Redis key prefix unique to one test file, so parallel files never share queues. */
export function testRedisPrefix(): string {
  return `xp-test-${randomBytes(4).toString('hex')}`;
}

/** The USER_DATA_KEY test APIs and workers share (one key, so a worker opens what an API sealed). */
export const TEST_USER_DATA_KEY = Buffer.alloc(32, 0x5a).toString('base64');
