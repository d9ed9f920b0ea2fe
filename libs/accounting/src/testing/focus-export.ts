import type { BillingPeriod } from '../billing-period.js';
import { csvStream } from '../csv-codec.js';
import { FOCUS_COLUMN_NAMES } from '../focus-columns.js';
import { buildFocusRow, compareForExport, type ProviderIdentity } from '../focus-row.js';
import { meterWindow } from '../hourly-split.js';
import { rateRecords, type RatedRecord } from '../rating.js';
import type { UsageEvent } from '../usage-events.js';
import type { MonthFixture } from './month-fixture.js';

export const TEST_PROVIDER: ProviderIdentity = { name: 'Xenplane Cloud' };

/** Meters and rates a fixture's month from a given event log (the pure stand-in for the DB pipeline). */
export function rateMonth(fixture: MonthFixture, events: readonly UsageEvent[] = fixture.events): RatedRecord[] {
  const { records } = meterWindow(events, { fromMs: fixture.period.startMs, toMs: fixture.period.endMs });
  return rateRecords(records, fixture.prices);
}

/** Writes rated rows as the FOCUS CSV the export endpoint streams, joined with the fixture's names. */
export async function focusCsv(fixture: MonthFixture, rows: readonly RatedRecord[], period: BillingPeriod = fixture.period): Promise<string> {
  const cells = [...rows].sort(compareForExport).map((record) =>
    buildFocusRow(
      {
        record,
        period,
        tenantName: fixture.tenantNames.get(record.tenantId) ?? null,
        regionName: fixture.regionNames.get(record.regionId)!,
        resourceName: fixture.resourceNames.get(record.resourceId) ?? null,
        tags: fixture.resourceTags.get(record.resourceId) ?? null,
      },
      TEST_PROVIDER,
    ),
  );
  let out = '';
  for await (const chunk of csvStream(FOCUS_COLUMN_NAMES, cells)) out += chunk;
  return out;
}
