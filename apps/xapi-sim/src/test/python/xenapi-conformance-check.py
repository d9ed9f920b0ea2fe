#!/usr/bin/env python3
"""Drives xapi-sim's conformance classes with the official XenAPI Python module; prints one JSON report.

Usage: xenapi-conformance-check.py http://127.0.0.1:PORT  (run by python-conformance.int-spec.ts, which checks it).
"""
import json
import sys
import time

from os_xenapi.client import XenAPI
from sim_check import control, failure


def main(url):
    session = XenAPI.Session(url)
    session.login_with_password('root', 'xenroot')  # version and originator have defaults
    x = session.xenapi
    report = {}

    # system.listMethods: the module calls it as plain XML-RPC (no Status struct), as xapi answers it
    methods = session.system.listMethods()
    report['list_methods'] = {'is_list': isinstance(methods, list), 'async': len([m for m in methods if m.startswith('Async.')]),
                              'has_vm_start': 'VM.start' in methods}

    template = x.VM.get_by_name_label('Debian Bookworm 12')[0]
    vm = x.VM.clone(template, 'py-conf')
    x.VM.provision(vm)
    report['vm'] = vm
    report['template_start'] = failure(lambda: x.VM.start(template, False, False))
    report['halted_ops'] = x.VM.get_allowed_operations(vm)
    report['short_snapshot'] = failure(lambda: x.VM.snapshot(vm, 'snap'))  # ignore_vdis has a default
    report['short_clone'] = failure(lambda: x.VM.clone(vm))

    # destroy devices with the VM, then the network goes
    net = x.network.create({'name_label': 'py-net', 'name_description': '', 'MTU': '1500', 'other_config': {}})
    for d in range(3):
        x.VIF.create({'device': str(d), 'network': net, 'VM': vm, 'MAC': '', 'MTU': '0', 'other_config': {},
                      'qos_algorithm_type': '', 'qos_algorithm_params': {}})
    x.VM.start(vm, False, False)
    report['running_ops'] = x.VM.get_allowed_operations(vm)
    vbd = x.VM.get_VBDs(vm)[0]
    report['vbd_unplug'] = failure(lambda: x.VBD.unplug(vbd))

    # hard_shutdown during a clean_shutdown cancels it
    control(url, '/sim/latency', {'method': 'VM.clean_shutdown', 'ms': 5000})
    task = x.Async.VM.clean_shutdown(vm)
    while 'clean_shutdown' not in x.VM.get_current_operations(vm).values():
        time.sleep(0.01)
    started = time.time()
    x.VM.hard_shutdown(vm)
    report['hard_shutdown_seconds'] = time.time() - started
    while x.task.get_status(task) in ('pending', 'cancelling'):
        time.sleep(0.01)
    report['clean_task'] = [x.task.get_status(task), x.task.get_error_info(task)]
    report['task'] = task
    control(url, '/sim/latency', {'method': 'VM.clean_shutdown', 'ms': 0})

    x.VM.start(vm, False, False)
    x.VM.suspend(vm)
    x.VM.destroy(vm)  # a Suspended VM may be destroyed
    report['vifs_left'] = [v for v, r in x.VIF.get_all_records().items() if r['VM'] == vm]
    x.network.destroy(net)
    report['network_gone'] = failure(lambda: x.network.get_record(net))

    report['bad_token'] = failure(lambda: getattr(x.event, 'from')(['vm'], '12345', 0.1))
    x.session.logout()
    print(json.dumps(report))


if __name__ == '__main__':
    main(sys.argv[1])
