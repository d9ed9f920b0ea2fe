// Counts the RPC calls served: in flight now, the peak since the last reset, and calls per method.
export class CallStats {
  private current = 0;
  private peak = 0;
  private readonly perMethod = new Map<string, number>();

  begin(method: string): void {
    this.current++;
    this.peak = Math.max(this.peak, this.current);
    this.perMethod.set(method, (this.perMethod.get(method) ?? 0) + 1);
  }

  end(): void {
    this.current--;
  }

  // The peak restarts from what is in flight right now.
  resetPeak(): void {
    this.peak = this.current;
  }

  snapshot(): { inFlight: number; peakInFlight: number; calls: Record<string, number> } {
    return { inFlight: this.current, peakInFlight: this.peak, calls: Object.fromEntries(this.perMethod) };
  }
}
