import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError, type Command, type Option } from 'commander';
import type { JsonKind } from './serve-options.js';

/** A --config file that cannot be read, or a key of it that is wrong. */
export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
}

/** What a --config file set. */
export interface ConfigFile {
  file: string;
  /** By option attribute name (ringTimeout), the key the file wrote ("ring-timeout"). */
  keys: ReadonlyMap<string, string>;
}

const what: Record<JsonKind, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  strings: 'a string or an array of strings',
  path: 'a string (a path relative to this file)',
};

const fitsKind = (kind: JsonKind, value: unknown): boolean =>
  kind === 'strings'
    ? typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'))
    : typeof value === (kind === 'path' ? 'string' : kind);

/** A path in the file is relative to the file; a URL (postgres://…) or ":memory:" stays as it is. */
const relativeTo = (file: string, value: string): string =>
  /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value === ':memory:' ? value : resolve(dirname(file), value);

function read(file: string): Record<string, unknown> {
  let text: string;
  let json: unknown;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigFileError(`--config ${file}: ${(error as Error).message}`);
  }
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigFileError(`--config ${file}: not JSON: ${(error as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ConfigFileError(`--config ${file}: expected an object of options, e.g. {"port": 8080}`);
  }
  return json as Record<string, unknown>;
}

/** The value of `key` as commander would have parsed it from the command line, through the option's own parser. */
function valueOf(file: string, key: string, option: Option, kind: JsonKind, value: unknown): unknown {
  if (!fitsKind(kind, value)) {
    throw new ConfigFileError(`--config ${file}: "${key}" must be ${what[kind]} (as for ${option.flags}), not ${JSON.stringify(value)}`);
  }
  if (kind === 'boolean') return value;
  const texts = Array.isArray(value) ? (value as string[]) : [String(value)];
  try {
    let parsed: unknown = undefined;
    for (const text of texts) parsed = option.parseArg ? option.parseArg(text, parsed) : text;
    return kind === 'path' ? relativeTo(file, parsed as string) : parsed;
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    throw new ConfigFileError(`--config ${file}: "${key}": ${JSON.stringify(value)} is invalid. ${error.message}`);
  }
}

/**
 * Reads a --config file into `command`'s options: each key is the long name of an option (or
 * its camelCase), each value of the JSON type the option takes, checked by the option's own
 * parser. A value goes in only where no flag nor CALLGATE_* variable gave one (flags > env >
 * file > defaults); every key is checked all the same. Returns the file's full path and, by
 * option attribute name, the key that set each option. Throws a ConfigFileError naming the file
 * and the key.
 */
export function applyConfigFile(command: Command, file: string, kinds: ReadonlyMap<Option, JsonKind>): ConfigFile {
  const path = resolve(file);
  const keys = new Map<string, string>();
  for (const [key, value] of Object.entries(read(path))) {
    const option = command.options.find((o) => o.long === `--${key}` || o.attributeName() === key);
    const kind = option && kinds.get(option);
    if (!option || !kind || option.long === '--config') {
      throw new ConfigFileError(`--config ${path}: "${key}" is not an option of callgate serve (see callgate serve --help)`);
    }
    const name = option.attributeName();
    const twice = keys.get(name);
    if (twice !== undefined) throw new ConfigFileError(`--config ${path}: "${key}" and "${twice}" are the same option`);
    const parsed = valueOf(path, key, option, kind, value);
    keys.set(name, key);
    const source = command.getOptionValueSource(name);
    if (source === undefined || source === 'default') command.setOptionValueWithSource(name, parsed, 'config');
  }
  return { file: path, keys };
}
