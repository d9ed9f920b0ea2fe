// The referee: Debian's cloud-init (its own NoCloud/ConfigDrive datasources, part handlers and network renderer) reads
// a drive the way a guest would. Runs /usr/bin/python3, whose dist-packages hold cloud-init's modules.
export const REFEREE_PY = String.raw`
import json, sys, os
from cloudinit import helpers, distros, handlers
from cloudinit.handlers.cloud_config import CloudConfigPartHandler
mode, seed, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
paths = helpers.Paths({'cloud_dir': os.path.join(tmp, 'cloud'), 'run_dir': os.path.join(tmp, 'run')})
distro = distros.fetch('debian')('debian', {}, paths)
out = {}
if mode == 'nocloud':
    from cloudinit.sources.DataSourceNoCloud import DataSourceNoCloud
    ds = DataSourceNoCloud({'datasource': {'NoCloud': {}}}, distro, paths)
    ds.seed_dirs = [seed]
else:
    from cloudinit.sources.DataSourceConfigDrive import DataSourceConfigDrive
    ds = DataSourceConfigDrive({'datasource': {'ConfigDrive': {}}}, distro, paths, )
    ds.seed_dir = seed
    ds.known_macs = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
if not ds.get_data():
    print(json.dumps({'error': 'datasource found no data'})); sys.exit(0)
out['instanceId'] = ds.get_instance_id()
out['hostname'] = ds.get_hostname().hostname if hasattr(ds.get_hostname(), 'hostname') else ds.get_hostname()
out['publicKeys'] = ds.get_public_ssh_keys()
out['networkConfig'] = ds.network_config
h = CloudConfigPartHandler(paths)
data = {'handlers': {}, 'handlerdir': tmp, 'data': None, 'frequency': 'once-per-instance', 'handlercount': 0, 'excluded': []}
h.handle_part(None, handlers.CONTENT_START, None, None, None, None)
for part in ds.get_userdata().walk():
    if part.get_content_maintype() == 'multipart':
        continue
    if part.get_content_type() == 'text/cloud-config':
        h.handle_part(None, 'text/cloud-config', part.get_filename(), part.get_payload(decode=True).decode(), None, dict(part.items()))
out['cloudConfig'] = h.cloud_buf
out['parts'] = [p.get_content_type() for p in ds.get_userdata().walk() if p.get_content_maintype() != 'multipart']
print(json.dumps(out, default=str))
`;
