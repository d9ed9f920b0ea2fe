/** other_config key holding our VM id on the XAPI VM, so a retried job finds what an earlier attempt made. */
export const VM_ID_KEY = 'xenplane-vm-id';
export const TENANT_ID_KEY = 'xenplane-tenant-id';
export const XENPLANE_TAG = 'xenplane';
