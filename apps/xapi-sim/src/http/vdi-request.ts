// Importexport.vdi_of_req / base_vdi_of_req / Format.of_req (ocaml/xapi/importexport.ml).
import { XapiError } from '../rpc/xapi-error.js';
import type { SimState } from '../sim/sim-state.js';
import type { HttpParams } from './http-context.js';

// A valid ref, else a uuid; neither is UUID_INVALID. Absent: undefined.
export function vdiOfRequest(sim: SimState, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (sim.store.get('VDI', value)) return value;
  return (
    sim.store.refByUuid('VDI', value) ??
    (() => {
      throw new XapiError('UUID_INVALID', ['VDI', value]);
    })()
  );
}

// format=raw|vhd|tar|qcow2 (any case), raw by default; anything else is kept to be refused by name.
export function formatOf(params: HttpParams): string {
  return (params.get('format') ?? 'raw').toLowerCase();
}
