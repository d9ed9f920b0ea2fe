// Replays a Dockerfile without a Docker engine: each stage is a scratch folder (its WORKDIR), COPY copies from the
// build context (minus .dockerignore) or from an earlier stage, RUN runs in that folder. Enough to catch a forgotten
// workspace manifest, a build that fails from a clean context, or test code left in the runtime image.
import { execSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  name: string;
  instructions: Instruction[];
}
export interface ReplayedImage {
  dir: string;
  workdir: string;
  cmd: string[];
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const joined = text.replace(/\\\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!op) throw new Error(`unparsable Dockerfile line: ${line}`);
    if (op.toUpperCase() === 'FROM') stages.push({ name: /\bAS\s+(\S+)/i.exec(args)?.[1] ?? String(stages.length), instructions: [] });
    stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args: args });
  }
  return stages;
}

/** .dockerignore lines as path tests against context-relative paths (the forms this project uses). */
function ignoreRules(context: string): ((rel: string) => boolean)[] {
  const file = join(context, '.dockerignore');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((pattern) => {
      const body = pattern
        .replace(/^\.\//, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '(?:.*/)?')
        .replace(/\*/g, '[^/]*');
      const re = new RegExp(`^${body}(?:/.*)?$`);
      return (rel: string) => re.test(rel);
    });
}

function copyFromContext(context: string, src: string, dest: string, ignored: ((rel: string) => boolean)[]): void {
  const from = join(context, src);
  const filter = (path: string) => !ignored.some((test) => test(relative(context, path)));
  if (statSync(from).isDirectory()) {
    mkdirSync(dest, { recursive: true });
    for (const name of readdirSync(from)) {
      const path = join(from, name);
      if (filter(path)) cpSync(path, join(dest, name), { recursive: true, filter, verbatimSymlinks: true });
    }
  } else if (filter(from)) {
    mkdirSync(dest.endsWith('/') ? dest : dirname(dest), { recursive: true });
    cpSync(from, dest.endsWith('/') ? join(dest, src.split('/').pop()!) : dest);
  }
}

/** Builds every stage in `scratch`; answers the last stage's folder, its WORKDIR and CMD. */
export function replayDockerfile(context: string, scratch: string, log: (line: string) => void = () => undefined): ReplayedImage {
  const stages = parseDockerfile(readFileSync(join(context, 'Dockerfile'), 'utf8'));
  const ignored = ignoreRules(context);
  const built = new Map<string, { dir: string; workdir: string }>();
  let image: ReplayedImage | undefined;
  for (const stage of stages) {
    const dir = join(scratch, stage.name);
    mkdirSync(dir, { recursive: true });
    let workdir = '/';
    let cmd: string[] = [];
    const inImage = (path: string) => join(dir, path.startsWith('/') ? path : join(workdir, path));
    for (const { op, args } of stage.instructions) {
      if (op === 'WORKDIR') {
        workdir = args;
        mkdirSync(inImage('.'), { recursive: true });
      } else if (op === 'COPY') {
        const from = /--from=(\S+)/.exec(args)?.[1];
        const parts = args.replace(/--\S+/g, '').trim().split(/\s+/);
        const dest = parts.pop()!;
        for (const src of parts) {
          if (from) {
            const source = built.get(from);
            if (!source) throw new Error(`COPY --from=${from}: no such stage`);
            // verbatimSymlinks: npm links workspaces relatively, and so does Docker's COPY (Node would make them absolute).
            cpSync(join(source.dir, src), inImage(dest), { recursive: true, verbatimSymlinks: true });
          } else {
            copyFromContext(context, src, inImage(dest), ignored);
          }
        }
      } else if (op === 'RUN') {
        log(`RUN ${args}`);
        execSync(args, { cwd: inImage('.'), stdio: 'pipe', env: { ...process.env, NODE_ENV: '' }, shell: '/bin/sh', maxBuffer: 64 * 1024 * 1024 });
      } else if (op === 'CMD') {
        cmd = JSON.parse(args) as string[];
      }
    }
    built.set(stage.name, { dir, workdir });
    image = { dir: join(dir, workdir), workdir, cmd };
  }
  if (!image) throw new Error('the Dockerfile has no stage');
  return image;
}
