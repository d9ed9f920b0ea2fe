import pg from 'pg';
import { DataSource } from 'typeorm';
import { InitSchema1763900000000 } from './1763900000000-InitSchema.js';
import { Quotas1763900001000 } from './1763900001000-Quotas.js';
import { Audit1763900002000 } from './1763900002000-Audit.js';
import { PoolHosts1763900003000 } from './1763900003000-PoolHosts.js';
import { IdempotencyKeys1763900004000 } from './1763900004000-IdempotencyKeys.js';
import { Networks1763900005000 } from './1763900005000-Networks.js';
import { DataPlane1763900006000 } from './1763900006000-DataPlane.js';
import { Accounting1763900007000 } from './1763900007000-Accounting.js';
import { PoolTemplates1764000011000 } from './1764000011000-PoolTemplates.js';
import { PoolTlsPins1764000011100 } from './1764000011100-PoolTlsPins.js';
import { IdempotencyPerKey1764000012000 } from './1764000012000-IdempotencyPerKey.js';
import { ApiKeyQuota1764000012100 } from './1764000012100-ApiKeyQuota.js';
import { ResourcePresence1764000020000 } from './1764000020000-ResourcePresence.js';
import { OperatorIdentity1764000014100 } from './1764000014100-OperatorIdentity.js';
import { BillingCurrency1764000014101 } from './1764000014101-BillingCurrency.js';
import { CatalogLifecycle1764000014000 } from './1764000014000-CatalogLifecycle.js';
import { ResourceDetails1764000014001 } from './1764000014001-ResourceDetails.js';
import { Keypairs1764000015000 } from './1764000015000-Keypairs.js';
import { VmBootstrap1764000015001 } from './1764000015001-VmBootstrap.js';
import { ImageConfigDrive1764000015002 } from './1764000015002-ImageConfigDrive.js';
import { Volumes1764000017000 } from './1764000017000-Volumes.js';
import { PoolIdentity1764000014200 } from './1764000014200-PoolIdentity.js';
import { VmLiveMax1764000014201 } from './1764000014201-VmLiveMax.js';
import { ConsoleSessions1764000015100 } from './1764000015100-ConsoleSessions.js';
import { Placement1764000026000 } from './1764000026000-Placement.js';
import { HostFailure1764000028000 } from './1764000028000-HostFailure.js';
import { VmNicIds1764000021000 } from './1764000021000-VmNicIds.js';
import { Snapshots1764000024000 } from './1764000024000-Snapshots.js';
import { GuestHotplug1764000024001 } from './1764000024001-GuestHotplug.js';
import { RoundHalfEvenInline1764000032000 } from './1764000032000-RoundHalfEvenInline.js';
import { WebhookSecretSealed1764000035000 } from './1764000035000-WebhookSecretSealed.js';
import { ProviderNetworks1764000022000 } from './1764000022000-ProviderNetworks.js';
import { SecurityGroups1764000023000 } from './1764000023000-SecurityGroups.js';
import { TenantImages1764000025000 } from './1764000025000-TenantImages.js';
import { Events1764000029000 } from './1764000029000-Events.js';
import { WebSessions1764000030000 } from './1764000030000-WebSessions.js';

export const MIGRATIONS = [
  InitSchema1763900000000,
  Quotas1763900001000,
  Audit1763900002000,
  PoolHosts1763900003000,
  IdempotencyKeys1763900004000,
  Networks1763900005000,
  DataPlane1763900006000,
  Accounting1763900007000,
  PoolTemplates1764000011000,
  PoolTlsPins1764000011100,
  IdempotencyPerKey1764000012000,
  ApiKeyQuota1764000012100,
  ResourcePresence1764000020000,
  OperatorIdentity1764000014100,
  BillingCurrency1764000014101,
  CatalogLifecycle1764000014000,
  ResourceDetails1764000014001,
  Keypairs1764000015000,
  VmBootstrap1764000015001,
  ImageConfigDrive1764000015002,
  Volumes1764000017000,
  PoolIdentity1764000014200,
  VmLiveMax1764000014201,
  ConsoleSessions1764000015100,
  Placement1764000026000,
  VmNicIds1764000021000,
  Snapshots1764000024000,
  GuestHotplug1764000024001,
  ProviderNetworks1764000022000,
  SecurityGroups1764000023000,
  TenantImages1764000025000,
  HostFailure1764000028000,
  Events1764000029000,
  WebSessions1764000030000,
  RoundHalfEvenInline1764000032000,
  WebhookSecretSealed1764000035000,
];

// Any constant works; it only has to be the same for every process that migrates.
const MIGRATION_LOCK_KEY = 7_262_019;

/** Creates the database named by `databaseUrl` if missing; safe when several processes race to do it. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return;
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (err) {
    // 42P04 duplicate_database, 23505 when two CREATE DATABASE race on the catalogue.
    const code = (err as { code?: string }).code;
    if (code !== '42P04' && code !== '23505') throw err;
  } finally {
    await client.end();
  }
}

/** Creates the database if needed and applies pending migrations under an advisory lock. Returns applied names. */
export async function migrate(databaseUrl: string): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  const ds = new DataSource({
    type: 'postgres',
    url: databaseUrl,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: false,
  });
  await ds.initialize();
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
    await ds.destroy();
  }
}
