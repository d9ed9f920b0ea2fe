import type { ImageEntity, OperationEntity, VmEntity } from '@xenplane/core';
import type { XapiPool } from '@xenplane/xapi-driver';

/** What a VM job handler works on, reloaded from Postgres for every attempt. */
export interface VmJobContext {
  operation: OperationEntity;
  vm: VmEntity;
  xapi: XapiPool;
  /** Whether this is the last attempt BullMQ will make. */
  lastAttempt: boolean;
}

export type ImageLookup = (id: string) => Promise<ImageEntity | null>;

/** other_config key holding our VM id on the XAPI VM, so a retried job finds what an earlier attempt made. */
export const VM_ID_KEY = 'xenplane-vm-id';
export const TENANT_ID_KEY = 'xenplane-tenant-id';
export const XENPLANE_TAG = 'xenplane';
