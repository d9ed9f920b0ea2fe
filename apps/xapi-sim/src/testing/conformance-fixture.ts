// One simulator per suite, logged in over the given transport; call inside a describe (it registers before/after).
import { after, before } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { login, type Transport } from './xapi-test-client.js';

export interface SimFixture {
  sim: Simulator;
  t: Transport;
  s: string; // the session
}

export function simOver(connect: (url: string) => Transport): SimFixture {
  const c = {} as SimFixture;
  before(async () => {
    c.sim = await startSimulator();
    c.t = connect(c.sim.url);
    c.s = await login(c.t);
  });
  after(() => c.sim?.close());
  return c;
}
