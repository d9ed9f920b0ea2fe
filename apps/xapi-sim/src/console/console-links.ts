// Open console connections per VM: a viewer is attached to one domain (qemu's VNC server), so it drops when the
// domain goes away (shutdown, reboot, migration) and the client reconnects to the new one.
import type { Duplex } from 'node:stream';

interface Link {
  domain: string; // "<host ref>/<domid>"
  stream: Duplex;
}

export class ConsoleLinks {
  private readonly byVm = new Map<string, Set<Link>>();

  add(vmRef: string, domain: string, stream: Duplex): void {
    const set = this.byVm.get(vmRef) ?? new Set<Link>();
    this.byVm.set(vmRef, set);
    const link = { domain, stream };
    set.add(link);
    stream.once('close', () => {
      set.delete(link);
      if (set.size === 0 && this.byVm.get(vmRef) === set) this.byVm.delete(vmRef);
    });
  }

  /** Closes the VM's connections to any domain other than `current`. */
  sever(vmRef: string, current?: string): void {
    for (const link of [...(this.byVm.get(vmRef) ?? [])]) if (link.domain !== current) link.stream.destroy();
  }

  count(vmRef?: string): number {
    if (vmRef) return this.byVm.get(vmRef)?.size ?? 0;
    let n = 0;
    for (const set of this.byVm.values()) n += set.size;
    return n;
  }

  closeAll(): void {
    for (const vm of [...this.byVm.keys()]) this.sever(vm);
  }
}

export const domainKey = (hostRef: string, domid: number) => `${hostRef}/${domid}`;
