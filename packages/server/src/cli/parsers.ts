import { InvalidArgumentError } from 'commander';

/*
 * commander argParsers: they turn the text of a flag or CALLGATE_* variable into a value and say
 * when it is no value of that kind. Which values work is for the server to say (checkServerOptions).
 */

/** A number; whether it is in range, startServer says. */
export function number(value: string): number {
  const parsed = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(parsed)) throw new InvalidArgumentError('expected a number');
  return parsed;
}

/** For what is no ServerOptions (--drain-timeout goes to close(), token --ttl): the CLI checks the range itself. */
export function nonNegativeNumber(value: string): number {
  const parsed = number(value);
  if (parsed < 0) throw new InvalidArgumentError('expected a number >= 0');
  return parsed;
}

/** Repeatable URL options; one option or env value may also list several, comma-separated. */
export function urlList(value: string, previous: string[] = []): string[] {
  return [...previous, ...list(value)];
}

/** A comma-separated list. */
export function list(value: string): string[] {
  return value.split(',').map((item) => item.trim()).filter(Boolean);
}

export function priority(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 100) throw new InvalidArgumentError('expected a whole number from 0 to 100');
  return parsed;
}
