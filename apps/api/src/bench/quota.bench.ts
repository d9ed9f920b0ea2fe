// Quota's cost (issue 4): POST /v1/vms throughput with the quota charge vs the same request with the charge
// removed (patched out in this process only), spread over tenants and under 50-way contention in one tenant.
// The two modes alternate in rounds (ABBA): every create grows the tables the next one reads, and the machine's load
// moves, so measuring one mode after the other charged the drift to whichever ran second.
import { QuotaService } from '@xenplane/tenancy';
import { startApi, type ApiHarness } from '../testing/api-harness.js';

const emit = (r: Record<string, unknown>) => console.log(JSON.stringify(r));

async function throughput(api: ApiHarness, tokens: string[], body: unknown, total: number, concurrency: number): Promise<number> {
  let next = 0;
  let failures = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, c) => {
      while (next < total) {
        const i = next++;
        const r = await api.call('POST', '/v1/vms', { token: tokens[(c + i) % tokens.length], body: { ...(body as object), name: `b${i}` } });
        if (r.status !== 202) failures++;
      }
    }),
  );
  if (failures) throw new Error(`${failures} requests failed`);
  return total / ((performance.now() - start) / 1000);
}

const api = await startApi();
try {
  const flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'q', vcpus: 1, memoryMiB: 256, diskGiB: 1 } })).body.id;
  const imageId = (await api.call('POST', '/v1/images', { body: { name: 'q', template: 'Debian Bookworm 12' } })).body.id;
  const tenantTokens = async (n: number, prefix: string) =>
    Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const t = await api.call('POST', '/v1/tenants', {
          body: { name: `${prefix}-${i}`, quota: { vms: 1_000_000, vcpus: 1_000_000, memoryMiB: 1_000_000_000, diskGiB: 1_000_000 } },
        });
        return (await api.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: 'k', role: 'admin' } })).body.token as string;
      }),
    );
  const spread = await tenantTokens(16, 'spread');
  const single = await tenantTokens(1, 'single');
  const body = { flavorId, imageId };
  await throughput(api, spread, body, 200, 16); // warm-up

  const quota = api.app.get(QuotaService);
  const original = quota.charge.bind(quota);
  const charging = (on: boolean) => {
    quota.charge = on ? original : async () => true;
  };
  /** Requests per second with the charge and without, over `rounds` ABBA rounds of `perRound` requests per mode. */
  async function paired(tokens: string[], perRound: number, concurrency: number, rounds: number): Promise<{ on: number; off: number }> {
    const seconds = { on: 0, off: 0 };
    for (let r = 0; r < rounds; r++) {
      for (const on of r % 2 === 0 ? [true, false] : [false, true]) {
        charging(on);
        seconds[on ? 'on' : 'off'] += perRound / (await throughput(api, tokens, body, perRound, concurrency));
      }
    }
    charging(true);
    return { on: (perRound * rounds) / seconds.on, off: (perRound * rounds) / seconds.off };
  }
  const spreadRun = await paired(spread, 500, 16, 4);
  const contendedRun = await paired(single, 250, 50, 4);
  const [onSpread, offSpread, onContended, offContended] = [spreadRun.on, spreadRun.off, contendedRun.on, contendedRun.off];

  emit({
    bench: 'quota',
    metric: 'POST /v1/vms req/s, 16 tenants, quota on vs charge removed',
    value: onSpread,
    unit: 'req/s',
    baseline: offSpread,
    ratio: onSpread / offSpread,
    goal: '>=0.9', // issue 20
  });
  emit({
    bench: 'quota',
    metric: 'POST /v1/vms req/s, 50-way contention in one tenant, quota on vs charge removed',
    value: onContended,
    unit: 'req/s',
    baseline: offContended,
    ratio: onContended / offContended,
    goal: '>=0.7', // issue 20
  });
} finally {
  await api.close();
}
