#!/usr/bin/env python3
"""Drives xapi-sim's snapshots, revert and disk import/export with the official XenAPI Python module; prints one JSON report.

Usage: xenapi-storage-check.py http://127.0.0.1:PORT  (run by python-storage.int-spec.ts, which checks the report).
"""
import json
import sys
import urllib.request

from os_xenapi.client import XenAPI
from sim_check import wait

MiB = 1024 * 1024


def main(url):
    session = XenAPI.Session(url)
    session.login_with_password('root', 'xenroot', '1.0', 'xenapi-python-storage')
    x = session.xenapi
    sid = session._session
    report = {}
    sr = x.SR.get_by_name_label('NFS storage')[0]
    vdi = x.VDI.create({'name_label': 'py-disk', 'name_description': '', 'SR': sr, 'virtual_size': str(4 * MiB), 'type': 'user',
                        'sharable': False, 'read_only': False, 'other_config': {}, 'xenstore_data': {}, 'sm_config': {}, 'tags': []})
    data = bytes((i * 7) % 251 for i in range(3 * MiB))
    task = x.task.create('py-import', '')
    req = urllib.request.Request('%s/import_raw_vdi?session_id=%s&vdi=%s&task_id=%s' % (url, sid, vdi, task), data=data, method='PUT')
    with urllib.request.urlopen(req, timeout=30) as res:
        report['import_status'] = res.status
        res.read()
    rec = wait(x, task)
    report['import_task'] = [rec['status'], rec['result'] == '<value>%s</value>' % vdi]
    report['physical_utilisation'] = int(x.VDI.get_physical_utilisation(vdi))

    template = x.VM.get_by_name_label('Debian Bookworm 12')[0]
    vm = x.VM.clone(template, 'py-snap-vm')
    x.VM.provision(vm)
    x.VBD.create({'VM': vm, 'VDI': vdi, 'userdevice': '1', 'bootable': False, 'mode': 'RW', 'type': 'Disk', 'unpluggable': True,
                  'empty': False, 'other_config': {}, 'qos_algorithm_type': '', 'qos_algorithm_params': {}})
    task = x.Async.VM.snapshot(vm, 'py-snap', [])
    rec = wait(x, task)
    snap = rec['result'].replace('<value>', '').replace('</value>', '')
    srec = x.VM.get_record(snap)
    report['snapshot'] = [srec['is_a_snapshot'], srec['snapshot_of'] == vm, x.VM.get_snapshots(vm) == [snap]]
    snap_vdis = [x.VBD.get_VDI(v) for v in srec['VBDs']]
    report['snapshot_of_disk'] = any(x.VDI.get_is_a_snapshot(v) and x.VDI.get_snapshot_of(v) == vdi for v in snap_vdis)

    x.VM.set_VCPUs_max(vm, '2')
    x.VM.set_VCPUs_at_startup(vm, '2')
    x.VM.revert(snap)
    report['reverted_vcpus'] = x.VM.get_VCPUs_max(vm)
    disk = [x.VBD.get_VDI(v) for v in x.VM.get_VBDs(vm) if x.VBD.get_userdevice(v) == '1'][0]
    report['revert_new_disk'] = disk != vdi

    with urllib.request.urlopen('%s/export_raw_vdi?session_id=%s&vdi=%s' % (url, sid, disk), timeout=30) as res:
        body = res.read()
        report['export'] = [res.status, len(body), body[:len(data)] == data]
    report['bad_session'] = None
    try:
        urllib.request.urlopen('%s/export_raw_vdi?session_id=OpaqueRef:bad&vdi=%s' % (url, disk), timeout=30)
    except urllib.error.HTTPError as e:
        report['bad_session'] = e.code
    try:
        x.VM.revert(vm)
    except XenAPI.Failure as f:
        report['revert_not_snapshot'] = f.details
    x.VM.destroy(snap)
    report['snapshots_after_destroy'] = x.VM.get_snapshots(vm)
    x.session.logout()
    print(json.dumps(report))


if __name__ == '__main__':
    main(sys.argv[1])
