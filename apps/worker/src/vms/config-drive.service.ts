import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { ImageRepository, SecretBox, VmBootstrapRepository, VmNicRepository, type ImageEntity, type VmEntity, type VmNicPlug } from '@xenplane/core';
import { buildIsoImage, configDriveContent, contentDigest, type DriveContent } from '@xenplane/config-drive';
import { intToIp, ipToInt } from '@xenplane/network/ipam';
import { isNullRef, XapiStorage, type XapiPool } from '@xenplane/xapi-driver';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { SagaError } from '../pipeline/job-failure.js';

/** other_config keys on a config-drive VDI: whose it is (set by VDI.create), and the content it holds once uploaded. */
export const CONFIG_DRIVE_KEY = 'xenplane-configdrive';
export const CONFIG_DRIVE_DIGEST_KEY = 'xenplane-configdrive-sha256';

// Tenant networks are VXLAN between hosts: its 50 bytes of headers come out of the underlay's 1500.
export const TENANT_NETWORK_MTU = 1450;

/** A drive ready to upload: its content digest, its image and the size of its VDI (whole MiB). */
export interface PreparedDrive {
  digest: string;
  image: Buffer;
  size: number;
}

/** Rows the caller has read already (a create reads them for its other steps). */
export interface KnownRows {
  image?: ImageEntity | null;
  plugs?: Promise<VmNicPlug[]>;
}

const firstHost = (ip: string, prefix: number) => intToIp(((ipToInt(ip) & (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0)) >>> 0) + 1);

/**
 * A VM's config drive on the pool: built from what the VM was created with and the addresses IPAM holds, uploaded as
 * a VDI marked with the VM id, attached read-only. Repeatable after a crash anywhere: a VDI whose upload did not
 * finish (no digest yet) or whose content is stale is destroyed, a current one is kept and attached if it is not.
 */
@Injectable()
export class ConfigDriveService {
  private readonly box: SecretBox | undefined;

  constructor(
    @Inject(WORKER_CONFIG) config: WorkerConfig,
    private readonly bootstrap: VmBootstrapRepository,
    private readonly nics: VmNicRepository,
    private readonly images: ImageRepository,
  ) {
    this.box = config.USER_DATA_KEY ? new SecretBox(config.USER_DATA_KEY) : undefined;
  }

  /** The drive the VM should have now; null for a VM made without one (before config drives existed). */
  async contentFor(vm: VmEntity, known: KnownRows = {}): Promise<DriveContent | null> {
    const b = await this.bootstrap.find(vm.tenantId, vm.id);
    if (!b) return null;
    if (b.userDataSealed && !this.box) throw new SagaError('unavailable', 'the VM has user-data but USER_DATA_KEY is not set on this worker');
    const userData = b.userDataSealed ? this.openUserData(b.userDataSealed) : null;
    const image = known.image !== undefined ? known.image : await this.images.find(vm.imageId);
    const plugs = await (known.plugs ?? this.nics.listPlugs(vm.tenantId, vm.id));
    // One default route: through the first provider NIC's router (it reaches outside), else the first NIC's gateway.
    const routed = plugs.find((n) => n.provider) ?? plugs[0];
    const nics = plugs.map((n) => ({
      device: n.device,
      mac: n.mac,
      ip: n.ip,
      prefix: n.prefix,
      mtu: TENANT_NETWORK_MTU,
      // a tenant network's gateway is its subnet's first address (IPAM reserves it); a provider network names its own
      gateway: n !== routed ? null : n.provider ? n.gateway : firstHost(n.ip, n.prefix),
      dns: n.dnsServers,
      networkId: n.networkId,
    }));
    return configDriveContent({
      instanceId: vm.id,
      hostname: b.hostname,
      sshKeys: b.sshKeys,
      userData,
      nics,
      layout: image?.configDrive ?? 'nocloud',
    });
  }

  private openUserData(sealed: Buffer): string {
    try {
      return this.box!.open(sealed);
    } catch {
      throw new SagaError('user_data_unreadable', "the VM's user-data does not open under this worker's USER_DATA_KEY (another key sealed it)");
    }
  }

  /** Builds the VM's drive (content and image) ahead, so that a saga's earlier XAPI steps hide the work. */
  prepare(vm: VmEntity, known: KnownRows = {}): Promise<PreparedDrive | null> {
    const prepared = this.contentFor(vm, known).then(async (content) =>
      content ? { digest: contentDigest(content), ...(await buildIsoImage(content)) } : null,
    );
    prepared.catch(() => undefined); // awaited (and so reported) by ensure
    return prepared;
  }

  /**
   * Makes the VM's drive current and attached (for a running VM: from its next start); returns its content digest, or
   * null when it has none. A drive is complete once attached: its VBD is made only after the upload succeeded, so a
   * VDI of ours not attached to the VM (a crash during its upload) is destroyed and made again.
   * `fresh`: no attempt can have made one yet (a create's first run), so the pool's VDIs need not be searched.
   * `srRef`: the SR of the VM's boot disk when the caller knows it.
   */
  async ensure(
    pool: XapiPool,
    vm: VmEntity,
    vmRef: string,
    opts: { prepared?: Promise<PreparedDrive | null>; fresh?: boolean; srRef?: Promise<string | undefined> } = {},
  ): Promise<string | null> {
    const prepared = opts.prepared ?? this.prepare(vm);
    const drive = await prepared;
    if (!drive) return null;
    const { digest, image, size } = drive;
    const storage = new XapiStorage(pool.client);
    const found = opts.fresh ? [] : await storage.findVdisByOtherConfig(CONFIG_DRIVE_KEY, vm.id);
    const current = found.find((v) => v.otherConfig[CONFIG_DRIVE_DIGEST_KEY] === digest && v.vmRefs.includes(vmRef));
    for (const stale of found) if (stale !== current) await storage.destroyVdi(stale.ref);
    if (current) return digest;
    const known = await opts.srRef;
    const sr = known && !isNullRef(known) ? known : await storage.rootDiskSr(vmRef);
    if (!sr) throw new SagaError('no_storage', 'the VM has no boot disk whose SR could hold its config drive');
    // marked with its owner and content from its creation: what finds it again, and what tells it current
    const vdi = await storage.createVdiRef({
      srRef: sr,
      nameLabel: `config drive ${vm.id}`,
      virtualSize: size,
      otherConfig: { [CONFIG_DRIVE_KEY]: vm.id, [CONFIG_DRIVE_DIGEST_KEY]: digest },
    });
    await storage.importVdi(vdi, Readable.from([image]), { format: 'raw', length: image.length });
    // Not hot-plugged into a running guest: xapi refuses read-only disks in VBD.plug on HVM (CA-83260, xapi_vbd.ml),
    // and cloud-init reads network-config at boot anyway; it attaches at the next start. "autodetect": xapi takes the
    // first of the VM's allowed devices (xapi_vbd.ml create), as VM.get_allowed_VBD_devices would answer.
    await storage.createVbdRef({ vmRef, vdiRef: vdi, userdevice: 'autodetect', type: 'Disk', mode: 'RO', bootable: false });
    return digest;
  }

  /** Destroys every config drive of the VM's (with the VM, or left by a create that failed). */
  async destroyAll(pool: XapiPool, vmId: string): Promise<void> {
    const storage = new XapiStorage(pool.client);
    for (const v of await storage.findVdisByOtherConfig(CONFIG_DRIVE_KEY, vmId)) await storage.destroyVdi(v.ref);
  }
}
