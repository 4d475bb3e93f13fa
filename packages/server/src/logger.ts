import { pino, type Logger, type LevelWithSilent } from 'pino';

export type LogLevel = LevelWithSilent;

/** JSON lines by default; human-readable lines when writing to a terminal. */
export function createLogger(level: LogLevel = 'info', pretty = process.stdout.isTTY === true): Logger {
  if (!pretty) return pino({ level, base: { service: 'callgate' } });
  return pino({
    level,
    base: { service: 'callgate' },
    transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } },
  });
}
