// Test support: a VM made the way the product's create saga makes one (clone with a name, then configure).
import type { ProvisionSpec, VmHandle, XapiPool } from '../index.js';

export async function provision(pool: XapiPool, spec: ProvisionSpec): Promise<VmHandle> {
  const made = await pool.cloneTemplate(spec.template, spec.nameLabel);
  await pool.completeProvisioning(made.ref, spec);
  return made;
}
