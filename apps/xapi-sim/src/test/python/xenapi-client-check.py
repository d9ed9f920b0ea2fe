#!/usr/bin/env python3
"""Drives xapi-sim with the official XenAPI Python module (Debian python3-os-xenapi) and prints one JSON report.

Usage: xenapi-client-check.py http://127.0.0.1:PORT [maintenance]  (run by python-client.int-spec.ts, which checks
the report); "maintenance" drives consoles, live migration and host evacuation instead.
"""
import json
import socket
import sys
from urllib.parse import urlparse

from os_xenapi.client import XenAPI
from sim_check import control, failure, wait


def event_from(x, classes, token, timeout):
    # 'from' is a Python keyword, so the call goes through getattr
    return getattr(x.event, 'from')(classes, token, timeout)


def main(url):
    report = {'bad_login': failure(lambda: XenAPI.Session(url).login_with_password('root', 'wrong'))}
    session = XenAPI.Session(url)
    session.login_with_password('root', 'xenroot', '1.0', 'xenapi-python-check')
    x = session.xenapi
    report['api_version'] = session.API_version

    template = x.VM.get_by_name_label('Debian Bookworm 12')[0]
    vm = x.VM.clone(template, 'python-vm')
    report['clone_is_template'] = x.VM.get_is_a_template(vm)
    report['clone_other_config'] = x.VM.get_other_config(vm).get('base_template_name')
    x.VM.provision(vm)
    rec = x.VM.get_record(vm)
    report['provisioned'] = {'is_a_template': rec['is_a_template'], 'vbds': len(rec['VBDs']), 'memory_static_max': rec['memory_static_max']}

    token = event_from(x, ['vm'], '', 0.1)['token']
    task = x.Async.VM.start(vm, False, False)
    rec = wait(x, task)
    report['task'] = {'status': rec['status'], 'result': rec['result'], 'progress': rec['progress'], 'name_label': rec['name_label']}
    report['task_destroyed'] = failure(lambda: x.task.get_status(task))

    batch = event_from(x, ['vm'], token, 5.0)
    report['events'] = [{'class': e['class'], 'operation': e['operation'], 'power_state': e.get('snapshot', {}).get('power_state')}
                        for e in batch['events'] if e['ref'] == vm]
    report['event_token_moved'] = batch['token'] > token
    report['valid_ref_counts_vm'] = batch['valid_ref_counts']['vm']
    report['power_state'] = x.VM.get_power_state(vm)

    report['start_running'] = failure(lambda: x.VM.start(vm, False, False))
    report['handle_invalid'] = failure(lambda: x.VM.get_record('OpaqueRef:00000000-0000-4000-8000-000000000000'))
    x.VM.add_to_other_config(vm, 'xenplane:check', '1')
    report['map_duplicate'] = failure(lambda: x.VM.add_to_other_config(vm, 'xenplane:check', '2'))
    report['count_mismatch'] = failure(lambda: x.VM.clone(template))

    # the module logs in again by itself on SESSION_INVALID
    control(url, '/sim/sessions/invalidate')
    report['relogin_power_state'] = x.VM.get_power_state(vm)

    x.VM.hard_shutdown(vm)
    x.VM.destroy(vm)
    report['vm'] = vm
    x.session.logout()
    print(json.dumps(report))


def console_connect(location, session_ref):
    """What XenCenter does: CONNECT to the console location with the session, then read the RFB greeting."""
    url = urlparse(location)
    with socket.create_connection((url.hostname, url.port), timeout=10) as s:
        s.sendall(('CONNECT %s?%s HTTP/1.0\r\nCookie: session_id=%s\r\n\r\n' % (url.path, url.query, session_ref)).encode())
        data = b''
        while b'\r\n\r\n' not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b'\r\n\r\n')
        while len(rest) < 12 and head.startswith(b'HTTP/1.1 200'):
            rest += s.recv(4096)
        return head.split(b'\r\n')[0].decode(), rest[:12].decode('latin1')


def maintenance(url):
    session = XenAPI.Session(url)
    session.login_with_password('root', 'xenroot', '1.0', 'xenapi-python-maintenance')
    x = session.xenapi
    report = {}
    h1, h2 = sorted(x.host.get_all(), key=lambda h: x.host.get_address(h))
    template = x.VM.get_by_name_label('Debian Bookworm 12')[0]
    vm = x.VM.clone(template, 'python-migrate')
    x.VM.provision(vm)
    x.VM.start_on(vm, h1, False, False)

    console = x.VM.get_consoles(vm)[0]
    record = x.console.get_record(console)
    report['console'] = {'protocol': record['protocol'], 'location': record['location'], 'uuid': record['uuid']}
    report['console_connect'] = console_connect(record['location'], session._session)
    report['console_bad_session'] = console_connect(record['location'], 'OpaqueRef:nope')[0]

    report['allowed'] = 'pool_migrate' in x.VM.get_allowed_operations(vm)
    task = x.Async.VM.pool_migrate(vm, h2, {})
    rec = wait(x, task)
    report['migrate_task'] = {'status': rec['status'], 'name_label': rec['name_label']}
    report['resident_on_h2'] = x.VM.get_resident_on(vm) == h2
    report['console_moved'] = x.console.get_location(x.VM.get_consoles(vm)[0])

    network = x.network.get_by_name_label('Pool-wide network associated with eth0')[0]
    dest = x.host.migrate_receive(h1, network, {})
    vdis = {}
    for vbd in x.VM.get_VBDs(vm):
        vdi = x.VBD.get_VDI(vbd)
        vdis[vdi] = x.VDI.get_SR(vdi)
    report['not_in_map'] = failure(lambda: x.VM.assert_can_migrate(vm, dest, True, {}, {}, {}, {}))[0]
    report['can_migrate'] = x.VM.assert_can_migrate(vm, dest, True, vdis, {}, {}, {})

    x.VM.pause(vm)
    report['prevents'] = x.host.get_vms_which_prevent_evacuation(h2)
    report['cannot_evacuate'] = failure(lambda: x.host.assert_can_evacuate(h2))
    x.VM.unpause(vm)
    x.host.disable(h2)
    nowhere = x.VM.clone(template, 'python-nowhere')
    x.VM.provision(nowhere)
    report['disabled_start'] = failure(lambda: x.VM.start_on(nowhere, h2, False, False))
    rec = wait(x, x.Async.host.evacuate(h2, 'OpaqueRef:NULL', '0'))
    report['evacuate'] = {'status': rec['status'], 'progress': rec['progress'], 'vm_on_h1': x.VM.get_resident_on(vm) == h1}
    x.host.enable(h2)

    x.VM.hard_shutdown(vm)
    report['consoles_after_shutdown'] = x.VM.get_consoles(vm)
    x.VM.destroy(vm)
    x.VM.destroy(nowhere)
    report['vm'] = vm
    x.session.logout()
    print(json.dumps(report))


if __name__ == '__main__':
    (maintenance if sys.argv[2:] == ['maintenance'] else main)(sys.argv[1])
