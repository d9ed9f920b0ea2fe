// Counts the RPC calls served: in flight now, the peak since the last reset, calls per method, and per VM for the
// calls that place a VM on a host (a test proves "moved or started once" from what the pool was asked, not our rows).
const PER_VM = /^(Async\.)?VM\.(pool_migrate|migrate_send|start|start_on)$/;

export class CallStats {
  private current = 0;
  private peak = 0;
  private readonly perMethod = new Map<string, number>();
  private readonly perVm = new Map<string, Map<string, number>>();

  begin(method: string, params: readonly unknown[] = []): void {
    this.current++;
    this.peak = Math.max(this.peak, this.current);
    this.perMethod.set(method, (this.perMethod.get(method) ?? 0) + 1);
    const vm = params[1];
    if (PER_VM.test(method) && typeof vm === 'string') {
      // Async.X and X are one request to the pool: counted under X.
      const name = method.replace(/^Async\./, '');
      const refs = this.perVm.get(name) ?? new Map<string, number>();
      this.perVm.set(name, refs.set(vm, (refs.get(vm) ?? 0) + 1));
    }
  }

  end(): void {
    this.current--;
  }

  // The peak restarts from what is in flight right now.
  resetPeak(): void {
    this.peak = this.current;
  }

  snapshot(): {
    inFlight: number;
    peakInFlight: number;
    calls: Record<string, number>;
    callsPerVm: Record<string, Record<string, number>>;
  } {
    const callsPerVm = Object.fromEntries([...this.perVm].map(([m, refs]) => [m, Object.fromEntries(refs)]));
    return { inFlight: this.current, peakInFlight: this.peak, calls: Object.fromEntries(this.perMethod), callsPerVm };
  }
}
