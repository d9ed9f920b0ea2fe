import { createHash } from 'node:crypto';

// cloud-init's own table (cloudinit/handlers/__init__.py INCLUSION_TYPES_MAP): the first line says what a part is.
const STARTS_WITH: Array<[string, string]> = [
  ['#cloud-config-archive', 'text/cloud-config-archive'],
  ['#cloud-config-jsonp', 'text/cloud-config-jsonp'],
  ['#cloud-config', 'text/cloud-config'],
  ['#cloud-boothook', 'text/cloud-boothook'],
  ['#include-once', 'text/x-include-once-url'],
  ['#include', 'text/x-include-url'],
  ['#part-handler', 'text/part-handler'],
  ['#upstart-job', 'text/upstart-job'],
  ['## template: jinja', 'text/jinja2'],
  ['#!', 'text/x-shellscript'],
];

/** What cloud-init takes the user-data for: a MIME message (`multipart`), or the part type its first line names. */
export function userDataKind(userData: string): string {
  if (/^(content-type|mime-version):/i.test(userData)) return 'multipart';
  return STARTS_WITH.find(([prefix]) => userData.startsWith(prefix))?.[1] ?? 'text/plain';
}

// Our part comes last and appends to lists (the default merge replaces them), leaving the tenant's other keys alone.
const KEYS_MERGE = 'dict(no_replace,recurse_list)+list(append)+str()';

function keysCloudConfig(sshKeys: string[]): string {
  // JSON is YAML: one document cloud-init's safe loader reads as written, whatever the keys' comments hold.
  return `#cloud-config\n${JSON.stringify({ ssh_authorized_keys: sshKeys })}\n`;
}

const wrap76 = (b64: string) => b64.replace(/(.{76})/g, '$1\n').replace(/\n$/, '');

/**
 * The user-data a guest gets: the tenant's, with the keypairs' keys as `ssh_authorized_keys`. Without keys it is the
 * tenant's as given; with keys and no user-data, one cloud-config; with both, a MIME multipart (cloud-init's standard
 * way to combine parts): the tenant's part (a script, a cloud-config, or their own multipart nested whole), then ours.
 */
export function mergeUserData(userData: string | null, sshKeys: string[]): string {
  if (!sshKeys.length) return userData ?? '';
  const ours = keysCloudConfig(sshKeys);
  if (userData === null || userData === '') return ours;
  const kind = userDataKind(userData);
  // Derived from the content, so it cannot occur in it (the tenant's part is base64 unless it is a nested message).
  const boundary = `==xenplane-${createHash('sha256').update(userData).digest('hex').slice(0, 32)}==`;
  const tenantPart =
    kind === 'multipart'
      ? userData.replace(/\r?\n$/, '')
      : [
          `Content-Type: ${kind}; charset="utf-8"`,
          'MIME-Version: 1.0',
          'Content-Transfer-Encoding: base64',
          'Content-Disposition: attachment; filename="user-data"',
          '',
          wrap76(Buffer.from(userData, 'utf8').toString('base64')),
        ].join('\n');
  const ourPart = [
    'Content-Type: text/cloud-config; charset="utf-8"',
    'MIME-Version: 1.0',
    'Content-Transfer-Encoding: 7bit',
    'Content-Disposition: attachment; filename="xenplane-ssh-keys"',
    `Merge-Type: ${KEYS_MERGE}`,
    '',
    ours.replace(/\n$/, ''),
  ].join('\n');
  return [
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    'MIME-Version: 1.0',
    '',
    `--${boundary}`,
    tenantPart,
    `--${boundary}`,
    ourPart,
    `--${boundary}--`,
    '',
  ].join('\n');
}
