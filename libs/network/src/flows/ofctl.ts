import { execFile } from 'node:child_process';

/** Runs `ovs-ofctl` with argv; resolves stdout and the exit code (diff-flows exits 2 on differences). */
export type OfctlRunner = (args: string[]) => Promise<{ code: number; stdout: string }>;

/** How to reach one bridge's OpenFlow management socket. */
export interface OfctlOptions {
  /** vswitchd's per-bridge socket, e.g. `unix:/run/openvswitch/br-int.mgmt` (see `bridgeTarget`). */
  target: string;
  /** ovs-ofctl binary (default `ovs-ofctl` on PATH). */
  ofctl?: string;
  /** OpenFlow version; bundles need 1.4+ (default `OpenFlow15`, as the bridge's `protocols` allow). */
  protocol?: string;
  /** Per-call timeout in seconds (default 10). */
  timeoutSec?: number;
  /** Replaces the process runner (tests spy on calls). */
  run?: OfctlRunner;
  /** PEM files for an `ssl:` target (OVS's own PKI: the switch's certificate is checked against the CA). */
  ssl?: OvsSslFiles;
}

/** Client key, certificate and CA certificate (PEM file paths) for OVSDB and OpenFlow over TLS. */
export interface OvsSslFiles {
  privateKey: string;
  certificate: string;
  caCert: string;
}

/** `unix:` target of a bridge's management socket in a vswitchd run directory. */
export function bridgeTarget(runDir: string, bridge: string): string {
  return `unix:${runDir.replace(/\/$/, '')}/${bridge}.mgmt`;
}

/** Error from ovs-ofctl, with its stderr. */
export class OfctlError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'OfctlError';
  }
}

/** Default runner: execFile (no shell), bounded time and output; exit codes 0 and 2 resolve. */
export function execOfctl(opts: OfctlOptions): OfctlRunner {
  const bin = opts.ofctl ?? 'ovs-ofctl';
  const timeout = (opts.timeoutSec ?? 10) * 1000;
  return (args) =>
    new Promise((resolve, reject) => {
      // 256 MiB: a dump of 10k+ flows is a few MB; never truncate it into a "partial" view.
      execFile(bin, args, { timeout, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (!err) return resolve({ code: 0, stdout });
        const code = typeof err.code === 'number' ? err.code : null;
        if (code === 2 && args.includes('diff-flows')) return resolve({ code, stdout });
        reject(new OfctlError(`ovs-ofctl ${args.find((a) => !a.startsWith('-')) ?? ''} failed: ${stderr.trim() || err.message}`, code, stderr));
      });
    });
}

/** Common leading arguments: protocol, ovs-ofctl's own timeout, and TLS files for an ssl: target. */
export function baseArgs(opts: OfctlOptions): string[] {
  const tls =
    opts.ssl && opts.target.startsWith('ssl:')
      ? [`--private-key=${opts.ssl.privateKey}`, `--certificate=${opts.ssl.certificate}`, `--ca-cert=${opts.ssl.caCert}`]
      : [];
  return ['-O', opts.protocol ?? 'OpenFlow15', `--timeout=${opts.timeoutSec ?? 10}`, ...tls];
}
