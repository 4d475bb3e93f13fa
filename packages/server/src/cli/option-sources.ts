import type { Command } from 'commander';
import type { ConfigFile } from './config-file.js';
import { flagOf, OPTION_FLAGS, type ServerOptionsError } from '../options/option-error.js';

/**
 * A ServerOptionsError as `callgate serve` says it: in flags, and where a flag's value came from
 * when not from the command line: `--ring-timeout must be a number >= 0 (--ring-timeout from
 * "ring-timeout" in /etc/callgate.json)`, `… (--webhook-url from CALLGATE_WEBHOOK_URL)`; an
 * option the message needs and nobody gave: `… (or CALLGATE_SECRET)`.
 */
export function describeForCli(error: ServerOptionsError, command: Command, config: ConfigFile | undefined): string {
  const notes = error.options.flatMap((path) => {
    const option = command.options.find((o) => o.long === OPTION_FLAGS[path]);
    if (!option) return [];
    const name = option.attributeName();
    const source = command.getOptionValueSource(name);
    if (source === 'env') return [`${option.long} from ${option.envVar}`];
    if (source === 'config') return [`${option.long} from "${config?.keys.get(name)}" in ${config?.file}`];
    if (source === undefined && error.options.length === 1 && option.envVar) return [`or ${option.envVar}`];
    return [];
  });
  const message = error.describe(flagOf);
  return notes.length ? `${message} (${notes.join('; ')})` : message;
}
