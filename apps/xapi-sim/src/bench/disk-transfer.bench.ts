// `npm run bench`: a 10 GiB mostly-zero disk through PUT /import_raw_vdi and GET /export_raw_vdi (JSON lines on stdout):
// throughput both ways, and the memory it costs (the suite proves the bound at 2 GiB, raw-vdi-transfer.int-spec.ts).
import { startSimulator } from '../index.js';
import { sparseUpload } from '../testing/sparse-upload.js';
import { JsonRpc, login, waitTask } from '../testing/xapi-test-client.js';

const MiB = 1024 ** 2;
const size = 10 * 1024 ** 3;
const sim = await startSimulator();
try {
  const j = new JsonRpc(sim.url);
  const s = await login(j);
  const [sr] = await j.call('SR.get_by_name_label', s, 'NFS storage');
  const vdi = await j.call('VDI.create', s, {
    name_label: 'bench',
    SR: sr,
    virtual_size: size,
    type: 'user',
    sharable: false,
    read_only: false,
    other_config: {},
  });
  const task = await j.call('task.create', s, 'bench', '');
  const head = Buffer.alloc(MiB, 0x5a);
  const q = (path: string) =>
    `${sim.url}${path}?${new URLSearchParams(path === '/import_raw_vdi' ? { session_id: s, vdi, task_id: task } : { session_id: s, vdi }).toString()}`;
  const r = await sparseUpload(q, size, head);
  if ((await waitTask(j, s, task)).status !== 'success' || !r.tail.equals(head)) throw new Error('the 10 GiB round trip did not read back');
  const line = (metric: string, value: number, unit: string) => console.log(JSON.stringify({ bench: 'xapi-sim disk transfer', metric, value, unit }));
  line('PUT /import_raw_vdi, 10 GiB sparse', size / MiB / (r.uploadMs / 1000), 'MiB/s');
  line('GET /export_raw_vdi, 10 GiB sparse', size / MiB / (r.exportMs / 1000), 'MiB/s');
  line('peak RSS growth during the 10 GiB upload', r.rssGrowth / MiB, 'MiB');
} finally {
  await sim.close();
}
