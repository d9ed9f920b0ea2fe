// What flavors and images share: a lifecycle and who may see them.
export const CATALOG_STATUSES = ['active', 'deprecated', 'deleted'] as const;
export type CatalogStatus = (typeof CATALOG_STATUSES)[number];
/** An image of one's own adds the states of its disk: queued (no disk yet), saving, deleting, error. */
export const IMAGE_STATUSES = ['queued', 'saving', 'active', 'deprecated', 'deleting', 'deleted', 'error'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];
export const CATALOG_VISIBILITIES = ['public', 'shared'] as const;
export type CatalogVisibility = (typeof CATALOG_VISIBILITIES)[number];
/** private: a tenant's own image, seen by its tenant and operators only. */
export type ItemVisibility = CatalogVisibility | 'private';

/** The columns a flavor or image row has beside its own. */
export interface CatalogItem {
  id: string;
  name: string;
  /** active; deprecated (kept for the VMs that use it, refused to new ones); deleted (row kept for the VMs that name it). */
  status: ImageStatus;
  /** public: every tenant; shared: only the tenants in tenantIds (and operators); private: its owner. */
  visibility: ItemVisibility;
  tenantIds: string[];
  /** The tenant owning a private image (flavors and operators' images: none). */
  tenantId?: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Whether the tenant may see and use the item (the rule CatalogRepository's viewer queries also apply). */
export function visibleTo(item: Pick<CatalogItem, 'visibility' | 'tenantIds' | 'tenantId'>, tenantId: string): boolean {
  return item.visibility === 'public' || item.tenantIds.includes(tenantId) || (item.tenantId != null && item.tenantId === tenantId);
}
