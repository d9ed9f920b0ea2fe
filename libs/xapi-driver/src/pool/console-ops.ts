import type { Duplex } from 'node:stream';
import type { XapiClient } from '../client/xapi-client.js';
import type { ConsoleStreamOptions } from '../client/console-stream.js';
import { XapiError } from '../errors/xapi-error.js';

/** A VM console as XAPI describes it (`console` record). */
export interface ConsoleHandle {
  ref: string;
  protocol: 'rfb' | 'vt100' | 'rdp';
  location: string;
}

/** The VM's console of `protocol` (rfb by default: the graphical one); NO_CONSOLE when the VM has none (not running). */
export async function vmConsole(client: XapiClient, vmRef: string, protocol: ConsoleHandle['protocol'] = 'rfb'): Promise<ConsoleHandle> {
  const refs = await client.call<string[]>('VM.get_consoles', vmRef);
  for (const ref of refs) {
    const c = await client.call<{ protocol: ConsoleHandle['protocol']; location: string }>('console.get_record', ref);
    if (c.protocol === protocol) return { ref, protocol: c.protocol, location: c.location };
  }
  throw new XapiError('NO_CONSOLE', [vmRef, protocol], 'VM.get_consoles');
}

/** Opens the VM's console stream; the location is read afresh, so a migrated VM's new host is used. */
export async function openVmConsole(
  client: XapiClient,
  vmRef: string,
  options: ConsoleStreamOptions & { protocol?: ConsoleHandle['protocol'] } = {},
): Promise<Duplex> {
  const c = await vmConsole(client, vmRef, options.protocol);
  return client.openConsole(c.location, options);
}
