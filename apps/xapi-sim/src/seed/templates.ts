// The Linux templates the pool ships with; other_config.disks tells VM.provision what to create.
import type { XRecord } from '../datamodel/defaults.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export interface TemplateSpec {
  name: string;
  referenceLabel: string;
  diskBytes: number;
}

export const linuxTemplates: TemplateSpec[] = [
  { name: 'Debian Bookworm 12', referenceLabel: 'debian-12', diskBytes: 10 * GiB },
  { name: 'Ubuntu Jammy Jellyfish 22.04', referenceLabel: 'ubuntu-22.04', diskBytes: 10 * GiB },
  { name: 'Ubuntu Noble Numbat 24.04', referenceLabel: 'ubuntu-24.04', diskBytes: 10 * GiB },
  { name: 'Rocky Linux 9', referenceLabel: 'rocky-9', diskBytes: 10 * GiB },
];

export function disksXml(diskBytes: number): string {
  return `<provision><disk device="0" size="${diskBytes}" sr="" bootable="true" type="system"/></provision>`;
}

export function templateRecord(spec: TemplateSpec): XRecord {
  return {
    name_label: spec.name,
    name_description: 'Template which allows VM installation from install media',
    is_a_template: true,
    is_default_template: true,
    power_state: 'Halted',
    memory_static_min: 512 * MiB,
    memory_dynamic_min: 1 * GiB,
    memory_dynamic_max: 1 * GiB,
    memory_static_max: 1 * GiB,
    VCPUs_max: 1,
    VCPUs_at_startup: 1,
    actions_after_shutdown: 'destroy',
    actions_after_reboot: 'restart',
    actions_after_crash: 'restart',
    HVM_boot_policy: 'BIOS order',
    HVM_boot_params: { order: 'cdn' },
    platform: { viridian: 'false', 'device-model': 'qemu-upstream-compat', acpi: '1', apic: 'true', pae: 'true', nx: 'true' },
    domain_type: 'hvm',
    reference_label: spec.referenceLabel,
    recommendations:
      '<restrictions><restriction field="memory-static-max" max="1649267441664"/><restriction field="vcpus-max" max="32"/></restrictions>',
    other_config: {
      default_template: 'true',
      linux_template: 'true',
      'install-methods': 'cdrom,nfs,http,ftp',
      disks: disksXml(spec.diskBytes),
    },
  };
}
