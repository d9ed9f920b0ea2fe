import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, EXIT } from './exit.js';

export interface Profile {
  url: string;
  token: string;
}

export interface ConfigFile {
  current?: string;
  profiles: Record<string, Profile>;
}

/** `$XDG_CONFIG_HOME/xenplane/config.json` (XDG default `~/.config`). */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'xenplane', 'config.json');
}

export function readConfig(path = configPath()): ConfigFile {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<ConfigFile>;
    return { current: parsed.current, profiles: parsed.profiles ?? {} };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`, EXIT.config);
  }
}

/** Written 0600 (it holds API keys), its directory 0700. */
export function writeConfig(config: ConfigFile, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** The URL and token to use: `XENPLANE_URL`/`XENPLANE_TOKEN` win over the chosen (or current) profile. */
export function resolveProfile(profileName: string | undefined, env: NodeJS.ProcessEnv = process.env): Profile {
  const config = readConfig(configPath(env));
  const name = profileName ?? env.XENPLANE_PROFILE ?? config.current ?? 'default';
  const saved = config.profiles[name];
  if (profileName && !saved && !(env.XENPLANE_URL && env.XENPLANE_TOKEN))
    throw new CliError(`no profile "${profileName}" (see: xenplane login --profile ${profileName})`, EXIT.config);
  const url = env.XENPLANE_URL ?? saved?.url;
  const token = env.XENPLANE_TOKEN ?? saved?.token;
  if (!url || !token)
    throw new CliError('not logged in: run `xenplane login --url <api> --token <key>` or set XENPLANE_URL and XENPLANE_TOKEN', EXIT.config);
  return { url, token };
}
