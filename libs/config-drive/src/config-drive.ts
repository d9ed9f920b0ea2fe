import { createHash } from 'node:crypto';
import { networkConfigV2, openstackNetworkData, type DriveNic } from './network-config.js';
import { mergeUserData } from './user-data.js';

/** `nocloud`: cloud-init's NoCloud (label cidata); `config-2`: OpenStack's layout, for cloudbase-init guests. */
export const DRIVE_LAYOUTS = ['nocloud', 'config-2'] as const;
export type DriveLayout = (typeof DRIVE_LAYOUTS)[number];

export interface DriveSpec {
  /** The VM id: the same for every drive a VM gets, so cloud-init runs its once-per-instance steps once */
  instanceId: string;
  hostname: string;
  /** authorized_keys lines */
  sshKeys: string[];
  /** The tenant's user-data as given, or null */
  userData: string | null;
  nics: DriveNic[];
  layout: DriveLayout;
}

/** What goes on the image: its volume label and its files (path → content). */
export interface DriveContent {
  label: 'cidata' | 'config-2';
  files: Record<string, string>;
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** The drive's files for a VM: pure, so the same VM state always gives the same content. */
export function configDriveContent(spec: DriveSpec): DriveContent {
  if (spec.layout === 'config-2') {
    const keys = Object.fromEntries(spec.sshKeys.map((k, i) => [`key-${i}`, k]));
    const meta = { uuid: spec.instanceId, hostname: spec.hostname, name: spec.hostname, launch_index: 0, public_keys: keys, meta: {} };
    return {
      label: 'config-2',
      files: {
        'openstack/latest/meta_data.json': json(meta),
        'openstack/latest/network_data.json': json(openstackNetworkData(spec.nics)),
        // cloudbase-init and cloud-init read the keys from meta_data's public_keys here: the user-data stays the tenant's.
        ...(spec.userData !== null ? { 'openstack/latest/user_data': spec.userData } : {}),
      },
    };
  }
  return {
    label: 'cidata',
    files: {
      // JSON is YAML; ids and RFC 1123 names need no quoting either way.
      'meta-data': json({ 'instance-id': spec.instanceId, 'local-hostname': spec.hostname }),
      'user-data': mergeUserData(spec.userData, spec.sshKeys),
      'network-config': json(networkConfigV2(spec.nics)),
    },
  };
}

/** A digest of the content (not of the image, whose timestamps differ per build): tells whether a drive is current. */
export function contentDigest(content: DriveContent): string {
  const h = createHash('sha256').update(content.label);
  for (const path of Object.keys(content.files).sort()) h.update(`\0${path}\0${content.files[path]}`);
  return h.digest('hex');
}
