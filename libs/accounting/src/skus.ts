/** The metered SKUs (API.md /v1/prices) and how each maps to a FOCUS row (accounting.md §3.4). */
export const SKUS = [
  'vm-hour',
  'vcpu-hour',
  'memory-gib-hour',
  'disk-gib-hour',
  'network-hour',
  'volume-gib-hour',
  'snapshot-gib-hour',
  'public-ip-hour',
] as const;
export type Sku = (typeof SKUS)[number];

/** Prefix of the fully-qualified FOCUS ResourceId (`vm/<uuid>`), unique across resource kinds. */
export type ResourceKind = 'vm' | 'disk' | 'network' | 'volume' | 'snapshot' | 'public-ip';

export interface SkuDefinition {
  readonly sku: Sku;
  /** FOCUS PricingUnit, and the `unit` a price list item must name. */
  readonly pricingUnit: string;
  /** FOCUS ConsumedUnit: the exact measure, seconds × size. */
  readonly consumedUnit: string;
  readonly serviceName: string;
  readonly serviceCategory: string;
  readonly serviceSubcategory: string;
  readonly resourceType: string;
  readonly resourceKind: ResourceKind;
  readonly skuMeter: string;
  /** FOCUS-defined SkuPriceDetails, valued for one PricingUnit (or null when none applies). */
  readonly priceDetails: Readonly<Record<string, number>> | null;
  /** The size is always 1 (a VM or a network, not a count of cores or GiB). */
  readonly unitSize: boolean;
  /** ChargeDescription text. */
  readonly description: string;
}

const VM_SERVICE = { serviceName: 'Virtual Machines', serviceCategory: 'Compute', serviceSubcategory: 'Virtual Machines' } as const;
const BLOCK_STORAGE = { serviceName: 'Block Storage', serviceCategory: 'Storage', serviceSubcategory: 'Block Storage' } as const;

export const SKU_CATALOG: Readonly<Record<Sku, SkuDefinition>> = {
  'vm-hour': {
    sku: 'vm-hour',
    pricingUnit: 'Hours',
    consumedUnit: 'Seconds',
    ...VM_SERVICE,
    resourceType: 'Virtual Machine',
    resourceKind: 'vm',
    skuMeter: 'VM Running Time',
    priceDetails: null,
    unitSize: true,
    description: 'Virtual machine running time',
  },
  'vcpu-hour': {
    sku: 'vcpu-hour',
    pricingUnit: 'Core-Hours',
    consumedUnit: 'Core-Seconds',
    ...VM_SERVICE,
    resourceType: 'Virtual Machine',
    resourceKind: 'vm',
    skuMeter: 'vCPU Running Time',
    priceDetails: { CoreCount: 1 },
    unitSize: false,
    description: 'Virtual CPU cores while the virtual machine runs',
  },
  'memory-gib-hour': {
    sku: 'memory-gib-hour',
    pricingUnit: 'GiB-Hours',
    consumedUnit: 'GiB-Seconds',
    ...VM_SERVICE,
    resourceType: 'Virtual Machine',
    resourceKind: 'vm',
    skuMeter: 'Memory Running Time',
    priceDetails: { MemorySize: 1 },
    unitSize: false,
    description: 'Memory while the virtual machine runs',
  },
  'disk-gib-hour': {
    sku: 'disk-gib-hour',
    pricingUnit: 'GiB-Hours',
    consumedUnit: 'GiB-Seconds',
    ...BLOCK_STORAGE,
    resourceType: 'Volume',
    resourceKind: 'disk',
    skuMeter: 'Disk Allocation Time',
    priceDetails: { DiskSpace: 1 },
    unitSize: false,
    description: 'Virtual disk capacity while the disk exists',
  },
  'network-hour': {
    sku: 'network-hour',
    pricingUnit: 'Hours',
    consumedUnit: 'Seconds',
    serviceName: 'Private Networks',
    serviceCategory: 'Networking',
    serviceSubcategory: 'Network Connectivity',
    resourceType: 'Network',
    resourceKind: 'network',
    skuMeter: 'Network Existence Time',
    priceDetails: null,
    unitSize: true,
    description: 'Private network while it exists',
  },
  'volume-gib-hour': {
    sku: 'volume-gib-hour',
    pricingUnit: 'GiB-Hours',
    consumedUnit: 'GiB-Seconds',
    ...BLOCK_STORAGE,
    resourceType: 'Volume',
    resourceKind: 'volume',
    skuMeter: 'Volume Allocation Time',
    priceDetails: { DiskSpace: 1 },
    unitSize: false,
    description: 'Block volume capacity while the volume exists, attached or not',
  },
  'snapshot-gib-hour': {
    sku: 'snapshot-gib-hour',
    pricingUnit: 'GiB-Hours',
    consumedUnit: 'GiB-Seconds',
    ...BLOCK_STORAGE,
    resourceType: 'Snapshot',
    resourceKind: 'snapshot',
    skuMeter: 'Snapshot Retention Time',
    priceDetails: { DiskSpace: 1 },
    unitSize: false,
    description: 'Snapshot of a virtual machine or volume, at the size of the disks it copies, while it is kept',
  },
  'public-ip-hour': {
    sku: 'public-ip-hour',
    pricingUnit: 'Hours',
    consumedUnit: 'Seconds',
    serviceName: 'Public IP Addresses',
    serviceCategory: 'Networking',
    serviceSubcategory: 'Network Connectivity',
    resourceType: 'Public IP Address',
    resourceKind: 'public-ip',
    skuMeter: 'Address Holding Time',
    priceDetails: null,
    unitSize: true,
    description: 'Provider network address while the tenant holds it',
  },
};

/** Skus added after PUT /v1/prices first required every sku: a price list may leave them out (they keep the price in force). */
export const LATER_SKUS: readonly Sku[] = ['volume-gib-hour', 'snapshot-gib-hour', 'public-ip-hour'];

export function isSku(value: unknown): value is Sku {
  return typeof value === 'string' && (SKUS as readonly string[]).includes(value);
}
