/** other_config key holding our VM id on the XAPI VM, so a retried job finds what an earlier attempt made. */
export const VM_ID_KEY = 'xenplane-vm-id';
export const TENANT_ID_KEY = 'xenplane-tenant-id';
export const XENPLANE_TAG = 'xenplane';
/** other_config key on a VM's boot disk cloned from an image's golden VDI: its VM's id (how a retried create finds it). */
export const IMAGE_DISK_KEY = 'xenplane-image-disk';
