#!/usr/bin/env python3
"""Drives xapi-sim with the official XenAPI Python module (Debian python3-os-xenapi) and prints one JSON report.

Usage: xenapi-client-check.py http://127.0.0.1:PORT  (run by python-client.int-spec.ts, which checks the report).
"""
import json
import sys
import time

from os_xenapi.client import XenAPI
from sim_check import control, failure


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
    deadline = time.time() + 10
    while x.task.get_status(task) == 'pending' and time.time() < deadline:
        time.sleep(0.02)
    report['task'] = {'status': x.task.get_status(task), 'result': x.task.get_result(task), 'progress': x.task.get_progress(task),
                      'name_label': x.task.get_name_label(task)}
    x.task.destroy(task)
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


if __name__ == '__main__':
    main(sys.argv[1])
