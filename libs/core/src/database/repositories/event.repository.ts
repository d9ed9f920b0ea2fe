import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { affected, one, rows } from '../sql.js';

/** One entry of the event log: ids grow in commit order (the triggers of migration Events1764000029000 append them). */
export interface EventRecord {
  id: number;
  tenantId: string | null;
  type: string;
  resourceType: string;
  resourceId: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

const COLUMNS = `id::text AS id, tenant_id AS "tenantId", type, resource_type AS "resourceType", resource_id AS "resourceId", data, created_at AS "createdAt"`;
type Row = Omit<EventRecord, 'id'> & { id: string };
const record = (r: Row): EventRecord => ({ ...r, id: Number(r.id) });

/** The event log: read after an id, by tenant or (operators, fan-out) across tenants; only triggers write it. */
@Injectable()
export class EventRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Events after `afterId` in id order; `tenantId` null: every tenant's and the operators' own (cross-tenant). */
  async after(tenantId: string | null, afterId: number, limit: number, q: EntityManager = this.ds.manager): Promise<EventRecord[]> {
    const found =
      tenantId === null
        ? await rows<Row>(q, `SELECT ${COLUMNS} FROM events WHERE events.id > $1 ORDER BY events.id LIMIT $2`, [afterId, limit])
        : await rows<Row>(q, `SELECT ${COLUMNS} FROM events WHERE tenant_id = $1 AND events.id > $2 ORDER BY events.id LIMIT $3`, [
            tenantId,
            afterId,
            limit,
          ]);
    return found.map(record);
  }

  /** The newest event's id (0 when the log is empty). */
  async head(q: EntityManager = this.ds.manager): Promise<number> {
    return Number((await one<{ id: string }>(q, `SELECT coalesce(max(id), 0)::text AS id FROM events`))!.id);
  }

  /** Forgets events older than `hours`; how far back a stream or a webhook can catch up. */
  purgeOlderThan(q: EntityManager, hours: number): Promise<number> {
    return affected(q, `DELETE FROM events WHERE created_at < now() - make_interval(hours => $1)`, [hours]);
  }
}
