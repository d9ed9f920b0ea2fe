import { Command } from 'commander';
import { examples } from './help.js';

/** Each command path and the words that may follow it, from the program itself (never out of date). */
function tree(cmd: Command, prefix: string, out: Map<string, string[]>): Map<string, string[]> {
  const words = [...cmd.commands.map((c) => c.name()), ...cmd.options.map((o) => o.long ?? '').filter(Boolean)];
  out.set(prefix, words);
  for (const c of cmd.commands) tree(c, prefix ? `${prefix} ${c.name()}` : c.name(), out);
  return out;
}

function bash(program: Command): string {
  const cases = [...tree(program, '', new Map())].map(([path, words]) => `    "${path}") words="${words.join(' ')}" ;;`).join('\n');
  return `# xenplane bash completion: eval "$(xenplane completion bash)"
_xenplane() {
  local cur path="" w i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ $w == -* ]] && continue
    case "\${path:+$path }$w" in ${[...tree(program, '', new Map()).keys()]
      .filter(Boolean)
      .map((k) => `"${k}"`)
      .join('|')}) path="\${path:+$path }$w" ;; esac
  done
  local words=""
  case "$path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _xenplane xenplane
`;
}

function zsh(program: Command): string {
  return `#compdef xenplane
# xenplane zsh completion: eval "$(xenplane completion zsh)"
autoload -U +X bashcompinit && bashcompinit
${bash(program)}`;
}

export function completionCommand(program: Command): Command {
  return examples(new Command('completion').description('print a shell completion script').argument('<shell>', 'bash or zsh'), [
    'eval "$(xenplane completion bash)"',
    'xenplane completion zsh > "${fpath[1]}/_xenplane"',
  ]).action((shell: string) => {
    if (shell !== 'bash' && shell !== 'zsh') program.error(`unknown shell "${shell}" (bash or zsh)`, { exitCode: 2 });
    process.stdout.write(shell === 'bash' ? bash(program) : zsh(program));
  });
}
