// What flavors and images share: a lifecycle and who may see them.
export const CATALOG_STATUSES = ['active', 'deprecated', 'deleted'] as const;
export type CatalogStatus = (typeof CATALOG_STATUSES)[number];
export const CATALOG_VISIBILITIES = ['public', 'shared'] as const;
export type CatalogVisibility = (typeof CATALOG_VISIBILITIES)[number];

/** The columns a flavor or image row has beside its own. */
export interface CatalogItem {
  id: string;
  name: string;
  /** active; deprecated (kept for the VMs that use it, refused to new ones); deleted (row kept for the VMs that name it). */
  status: CatalogStatus;
  /** public: every tenant; shared: only the tenants in tenantIds (and operators). */
  visibility: CatalogVisibility;
  tenantIds: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** Whether the tenant may see and use the item (the rule CatalogRepository's viewer queries also apply). */
export function visibleTo(item: Pick<CatalogItem, 'visibility' | 'tenantIds'>, tenantId: string): boolean {
  return item.visibility === 'public' || item.tenantIds.includes(tenantId);
}
