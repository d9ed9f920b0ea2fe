// The xapi releases the simulator can present (SIM_API_VERSION): what their hosts report, and the parameters
// their messages lack because a later release added them (ocaml/idl param_release, e.g. datamodel_host.ml evacuate).
import type { MessageDef, ParamDef } from './datamodel.js';

export interface ApiRelease {
  major: number;
  minor: number;
  xapi: string; // software_version.xapi, compared with param releases
  productVersion: string;
  platformVersion: string;
}

// datamodel_types.ml: 2.15 Citrix Hypervisor 8.2 (xapi 1.249, as XCP-ng 8.2), 2.20 XenServer 8 preview, 2.21 XenServer 8 / XCP-ng 8.3.
export const apiReleases: Record<string, ApiRelease> = {
  '2.15': { major: 2, minor: 15, xapi: '1.249.0', productVersion: '8.2.1', platformVersion: '3.2.1' },
  '2.20': { major: 2, minor: 20, xapi: '23.1.0', productVersion: '8.3.0', platformVersion: '3.3.0' },
  '2.21': { major: 2, minor: 21, xapi: '24.19', productVersion: '8.3.0', platformVersion: '3.4.0' },
};

export const DEFAULT_API_VERSION = '2.21';

const paramReleases: Record<string, Record<string, string>> = {
  'host.evacuate': { network: '1.297.0', evacuate_batch_size: '23.27.0' },
};

function older(a: string, b: string): boolean {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0);
  return false;
}

/** The message's parameters as the given release has them. */
export function paramsAt(msg: MessageDef, release: ApiRelease): ParamDef[] {
  const since = paramReleases[`${msg.cls}.${msg.name}`];
  return since ? msg.params.filter((p) => !since[p.name] || !older(release.xapi, since[p.name])) : msg.params;
}
