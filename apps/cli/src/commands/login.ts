import { Command } from 'commander';
import { createXenplaneClient } from '@xenplane/client';
import { configPath, readConfig, writeConfig } from '../config.js';
import { examples } from './help.js';

/** Checks the key against the API, then saves it as a named profile and makes it current. */
export function loginCommand(): Command {
  return examples(
    new Command('login')
      .description('save an API URL and key as a profile (checked against the API first)')
      .requiredOption('--url <url>', 'the API base URL')
      .requiredOption('--token <key>', 'an API key (saved under the profile named by the global --profile, default "default")'),
    ['xenplane login --url https://cloud.example.com --token xp_... --profile prod'],
  ).action(async (_o: unknown, c: Command) => {
    const o = c.optsWithGlobals<{ url: string; token: string; profile?: string }>();
    const profile = o.profile ?? 'default';
    // A refused key (401) ends here, before anything is saved.
    await createXenplaneClient({ baseUrl: o.url, token: o.token }).send('GET', '/v1/operations', { query: { limit: 1 } });
    const path = configPath();
    const config = readConfig(path);
    config.profiles[profile] = { url: o.url.replace(/\/+$/, ''), token: o.token };
    config.current = profile;
    writeConfig(config, path);
    process.stderr.write(`logged in to ${o.url} as profile "${profile}"; saved in ${path}\n`);
  });
}
