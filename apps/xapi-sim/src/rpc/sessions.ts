// Session lifecycle: login creates a session record, idle sessions past the TTL become SESSION_INVALID.
import type { Value } from '../datamodel/defaults.js';
import type { SimState } from '../sim/sim-state.js';
import { fail } from './xapi-error.js';
import { nowXapiDate } from '../util/xapi-time.js';
import { scalar } from '../datamodel/defaults.js';

export function createSession(sim: SimState, uname: string, originator: string): string {
  const ref = sim.store.create('session', {
    this_host: sim.masterRef(),
    last_active: nowXapiDate(),
    pool: false,
    is_local_superuser: true,
    auth_user_name: uname,
    originator,
    validation_time: nowXapiDate(),
  });
  sim.sessionActivity.set(ref, Date.now());
  return ref;
}

export function validateSession(sim: SimState, ref: Value): string {
  if (typeof ref !== 'string' || !sim.store.get('session', ref)) fail('SESSION_INVALID', scalar(ref ?? ''));
  const last = sim.sessionActivity.get(ref) ?? 0;
  if (Date.now() - last > sim.options.sessionTtlSeconds * 1000) {
    destroySession(sim, ref);
    fail('SESSION_INVALID', ref);
  }
  sim.sessionActivity.set(ref, Date.now());
  sim.store.updateSilently('session', ref, { last_active: nowXapiDate() });
  return ref;
}

export function destroySession(sim: SimState, ref: string): void {
  sim.sessionActivity.delete(ref);
  if (sim.store.get('session', ref)) sim.store.destroy('session', ref);
}

export function invalidateAllSessions(sim: SimState): number {
  const refs = sim.store.all('session').map(([ref]) => ref);
  for (const ref of refs) destroySession(sim, ref);
  return refs.length;
}
