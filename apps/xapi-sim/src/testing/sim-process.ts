// main.js as a child process for the simulator's own tests (the simulator imports nothing of the project's).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const mainJs = fileURLToPath(new URL('../main.js', import.meta.url));

export interface SimChild {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

// Resolves once it logs `xapi-sim listening`; rejects with its output if it exits first.
export async function spawnSim(env: Record<string, string>): Promise<SimChild> {
  const child = spawn(process.execPath, [mainJs], {
    env: { PATH: process.env.PATH ?? '', SIM_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.includes('"xapi-sim listening"'));
      if (line) resolve(JSON.parse(line).port as number);
    });
    child.once('exit', () => reject(new Error(`xapi-sim exited early: ${out}`)));
  });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  return { url: `http://127.0.0.1:${port}`, child, output: () => out, stop };
}
