// Test-controlled behaviour: per-method latency and injected XAPI failures (seeded, so runs repeat).
import { seededRandom, type Random } from '../util/prng.js';

export interface FaultSpec {
  method: string;
  code: string;
  params?: string[];
  times?: number;
  rate?: number;
}

interface Fault extends FaultSpec {
  remaining: number; // Infinity for an unlimited rate-based fault
}

export class SimControl {
  private readonly latency = new Map<string, number>();
  private faults: Fault[] = [];
  private readonly random: Random;
  jsonRpc = true; // false: answer /jsonrpc like a host that predates JSON-RPC

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  // A method's work takes as long whether called sync or as Async.*: latency is kept by the method's own name.
  setLatency(method: string, ms: number): void {
    const name = method.replace(/^Async\./, '');
    if (ms > 0) this.latency.set(name, ms);
    else this.latency.delete(name);
  }

  // "*" applies to every method without its own setting.
  latencyFor(method: string): number {
    return this.latency.get(method) ?? this.latency.get('*') ?? 0;
  }

  addFault(spec: FaultSpec): void {
    // Without a rate a fault is one-shot unless told otherwise; with a rate it fires until cleared.
    const remaining = spec.times ?? (spec.rate === undefined ? 1 : Infinity);
    this.faults.push({ ...spec, remaining });
  }

  clearFaults(): void {
    this.faults = [];
  }

  listFaults(): FaultSpec[] {
    return this.faults.map(({ remaining, ...f }) => ({ ...f, times: Number.isFinite(remaining) ? remaining : undefined }));
  }

  // Consumes the first matching fault that fires for this call, if any.
  takeFault(method: string): FaultSpec | undefined {
    for (const f of this.faults) {
      if (f.method !== method && f.method !== '*') continue;
      if (f.rate !== undefined && this.random() >= f.rate) continue;
      f.remaining -= 1;
      if (f.remaining <= 0) this.faults = this.faults.filter((x) => x !== f);
      return f;
    }
    return undefined;
  }
}
