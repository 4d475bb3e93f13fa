import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

/**
 * A pino logger whose JSON lines a test can read back: what an operator would see, parsed
 * (`lines`) and as written (`text`, where a key written twice still shows).
 */
export function capturedLogger(level: pino.LevelWithSilent = 'info'): {
  logger: Logger;
  lines: () => Record<string, unknown>[];
  text: () => string[];
} {
  const text: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) text.push(line);
      done();
    },
  });
  return { logger: pino({ level }, sink), lines: () => text.map((line) => JSON.parse(line) as Record<string, unknown>), text: () => text };
}
