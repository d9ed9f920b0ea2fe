"""Helpers shared by the XenAPI SDK check scripts (imported from beside them)."""
import json
import time
import urllib.request

from os_xenapi.client import XenAPI


def failure(fn):
    """The XenAPI.Failure details fn raised, or None if it succeeded."""
    try:
        fn()
    except XenAPI.Failure as f:
        return f.details
    return None


def control(url, path, body=None):
    """POSTs JSON to the simulator's control API (/sim/...)."""
    data = json.dumps(body if body is not None else {}).encode()
    req = urllib.request.Request(url + path, data=data, headers={'content-type': 'application/json'}, method='POST')
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())


def wait(x, task):
    """Polls a task until it leaves pending (20 s at most), destroys it and returns its last record."""
    deadline = time.time() + 20
    while x.task.get_status(task) == 'pending' and time.time() < deadline:
        time.sleep(0.02)
    record = x.task.get_record(task)
    x.task.destroy(task)
    return record
