// allowed_operations xapi computes (ocaml/xapi/xapi_vm_lifecycle.ml update_allowed_operations), shared by conformance tests.
// update_allowed_operations folds the vm_operations enum (minus ignored_ops) into a list, so it comes out reversed.
export const haltedOps = [
  'create_vtpm',
  'destroy',
  'metadata_export',
  'export',
  'make_into_template',
  'changing_NVRAM',
  'changing_shadow_memory',
  'changing_static_range',
  'changing_dynamic_range',
  'migrate_send',
  'start_on',
  'start',
  'copy',
  'clone',
  'snapshot',
];
// The running VMs of the xapi-24 recording (sdk-spec vm_get_all_records.json) plus metadata_export (xapi CP-46851).
export const runningOps = [
  'metadata_export',
  'changing_VCPUs_live',
  'changing_dynamic_range',
  'migrate_send',
  'pool_migrate',
  'suspend',
  'hard_reboot',
  'hard_shutdown',
  'clean_reboot',
  'clean_shutdown',
  'pause',
  'checkpoint',
  'snapshot',
];
