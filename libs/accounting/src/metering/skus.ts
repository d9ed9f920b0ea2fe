/** What we meter, how FOCUS names it (accounting.md §3.4), and the unit of one PricingQuantity. */
export const SKUS = ['vm-hour', 'vcpu-hour', 'memory-gib-hour', 'disk-gib-hour', 'network-hour'] as const;
export type Sku = (typeof SKUS)[number];

export interface SkuInfo {
  serviceName: string;
  serviceCategory: 'Compute' | 'Storage' | 'Networking';
  serviceSubcategory: string;
  resourceType: 'Virtual Machine' | 'Volume' | 'Network';
  pricingUnit: string;
  consumedUnit: string;
  /** Path segment of ResourceId (`<pool>/<segment>/<uuid>`). */
  resourceKind: 'vm' | 'volume' | 'network';
}

const VM = { serviceName: 'Virtual Machines', serviceCategory: 'Compute', serviceSubcategory: 'Virtual Machines', resourceType: 'Virtual Machine', resourceKind: 'vm' } as const;

export const SKU_INFO: Record<Sku, SkuInfo> = {
  'vm-hour': { ...VM, pricingUnit: 'Hours', consumedUnit: 'Seconds' },
  'vcpu-hour': { ...VM, pricingUnit: 'Core-Hours', consumedUnit: 'Core-Seconds' },
  'memory-gib-hour': { ...VM, pricingUnit: 'GiB-Hours', consumedUnit: 'GiB-Seconds' },
  'disk-gib-hour': {
    serviceName: 'Block Storage', serviceCategory: 'Storage', serviceSubcategory: 'Block Storage', resourceType: 'Volume',
    pricingUnit: 'GiB-Hours', consumedUnit: 'GiB-Seconds', resourceKind: 'volume',
  },
  'network-hour': {
    serviceName: 'Private Networks', serviceCategory: 'Networking', serviceSubcategory: 'Network Connectivity', resourceType: 'Network',
    pricingUnit: 'Hours', consumedUnit: 'Seconds', resourceKind: 'network',
  },
};

export function isSku(s: string): s is Sku {
  return (SKUS as readonly string[]).includes(s);
}
