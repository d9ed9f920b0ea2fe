// A long-lived TCP session between two guests for the security-group proof: the server echoes, the client sends a
// byte every 50 ms and prints the time of every echo it gets back, so the test sees exactly when the session stops.
import { spawn, type ChildProcess } from 'node:child_process';
import type { GuestVm } from './guest.js';

const SERVER = `
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(8)
def echo(c):
    while True:
        d = c.recv(64)
        if not d: return
        c.sendall(d)
while True:
    c, _ = s.accept(); threading.Thread(target=echo, args=(c,), daemon=True).start()
`;
const CLIENT = `
import socket, sys, time
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
c.settimeout(0.2)
while True:
    try:
        c.sendall(b'x'); c.recv(64)
        print(int(time.time() * 1000), flush=True)
    except socket.timeout:
        pass
    except OSError:
        break
    time.sleep(0.05)
`;

const inNs = (vm: GuestVm, args: string[]) =>
  spawn('ip', ['netns', 'exec', `xsim-${vm.xapiUuid}`, 'python3', '-c', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });

/** Starts the echo server in `vm` on `port`. */
export function echoServer(vm: GuestVm, port: number): ChildProcess {
  return inNs(vm, [SERVER, String(port)]);
}

/** A client session from `vm` to ip:port; `echoes` holds the epoch ms of every echo received so far. */
export function echoSession(vm: GuestVm, ip: string, port: number): { proc: ChildProcess; echoes: number[] } {
  const proc = inNs(vm, [CLIENT, ip, String(port)]);
  const echoes: number[] = [];
  let rest = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) echoes.push(Number(l));
  });
  return { proc, echoes };
}
