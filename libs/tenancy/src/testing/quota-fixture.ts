// Test helper: the quota services on a fresh migrated database, wired by hand (no Nest container needed).
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import {
  ENTITIES,
  AuditRepository,
  PresenceRepository,
  SnapshotRepository,
  VmNicRepository,
  VmRepository,
  VolumeRepository,
  ImageRepository,
} from '@xenplane/core';
import { ResourceLifecycle } from '../lifecycle/resource-lifecycle.service.js';
import { createTestDatabase, type TestDatabase } from '@xenplane/testing';
import { QUOTA_RESOURCES, type Quota, type QuotaAmounts, type QuotaLimits } from '../quota/quota-math.js';
import { QUOTA_COLUMN, QuotaRepository } from '../quota/quota.repository.js';
import { QuotaService } from '../quota/quota.service.js';
import { TenantRepository } from '../tenants/tenant.repository.js';
import { TenantsService } from '../tenants/tenants.service.js';

export interface VmSize {
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
}

export interface QuotaFixture {
  db: TestDatabase;
  ds: DataSource;
  quota: QuotaService;
  /** How the worker releases a VM (deleted, failed create, vanished). */
  lifecycle: ResourceLifecycle;
  repo: QuotaRepository;
  tenant(limits?: Partial<QuotaLimits>): Promise<string>;
  insertVm(tx: EntityManager, tenantId: string, vmId: string, size: VmSize, status?: string): Promise<void>;
  stored(tenantId: string): Promise<Quota>;
  ledgerSum(tenantId: string): Promise<QuotaAmounts>;
  close(): Promise<void>;
}

export async function startQuotaFixture(poolSize = 6): Promise<QuotaFixture> {
  const db = await createTestDatabase();
  const ds = await new DataSource({ type: 'postgres', url: db.url, entities: ENTITIES, extra: { max: poolSize } }).initialize();
  const repo = new QuotaRepository(ds);
  const tenantRepo = new TenantRepository(ds);
  const quota = new QuotaService(ds, repo, tenantRepo, new AuditRepository(ds));
  const lifecycle = new ResourceLifecycle(
    new PresenceRepository(),
    quota,
    new VmRepository(ds),
    new VmNicRepository(ds),
    new VolumeRepository(ds),
    new SnapshotRepository(ds),
    new ImageRepository(ds),
  );
  const tenants = new TenantsService(ds, tenantRepo, quota, lifecycle);
  // VM rows need a flavor, an image and a pool to point at.
  const [flavorId, imageId, poolId] = [randomUUID(), randomUUID(), randomUUID()];
  await ds.query(`INSERT INTO flavors (id, name, vcpus, memory_mib, disk_gib) VALUES ($1, 'f', 1, 128, 1)`, [flavorId]);
  await ds.query(`INSERT INTO images (id, name, template) VALUES ($1, 'i', 't')`, [imageId]);
  await ds.query(`INSERT INTO pools (id, name, url, username) VALUES ($1, 'p', 'http://127.0.0.1:1', 'root')`, [poolId]);
  return {
    db,
    ds,
    quota,
    lifecycle,
    repo,
    async tenant(limits = {}) {
      return (await tenants.create(`t-${randomUUID()}`, limits)).id;
    },
    async insertVm(tx, tenantId, vmId, size, status = 'pending') {
      await tx.query(
        `INSERT INTO vms (id, tenant_id, name, flavor_id, image_id, pool_id, status, vcpus, memory_mib, disk_gib)
         VALUES ($1, $2, 'vm', $3, $4, $5, $6, $7, $8, $9)`,
        [vmId, tenantId, flavorId, imageId, poolId, status, size.vcpus, size.memoryMiB, size.diskGiB],
      );
    },
    async stored(tenantId) {
      return (await repo.find(tenantId))!;
    },
    async ledgerSum(tenantId) {
      const sums = QUOTA_RESOURCES.map((r) => `coalesce(sum(${QUOTA_COLUMN[r]}), 0) AS ${QUOTA_COLUMN[r]}`).join(', ');
      const [row] = await ds.query(`SELECT ${sums} FROM quota_ledger WHERE tenant_id = $1`, [tenantId]);
      return Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, Number(row[QUOTA_COLUMN[r]])])) as QuotaAmounts;
    },
    async close() {
      await ds.destroy();
      await db.drop();
    },
  };
}
