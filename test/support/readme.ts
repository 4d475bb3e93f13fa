import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A Markdown file of the repository (`README.md`, `packages/client/README.md`, `docs/…`). */
export function readDoc(path: string): string {
  return readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');
}

/** The first fenced block of `language` ('' for a bare ```) in `path` after the text `after`. */
export function fencedBlock(path: string, after: string, language = ''): string {
  const text = readDoc(path);
  const start = text.indexOf(after);
  if (start < 0) throw new Error(`${path} no longer says ${JSON.stringify(after)}`);
  const block = new RegExp('^```' + language + '\\n([\\s\\S]*?)^```$', 'm').exec(text.slice(start));
  if (!block) throw new Error(`${path}: no \`\`\`${language} block after ${JSON.stringify(after)}`);
  return block[1]!;
}

/**
 * What `examples/two-clients.mjs` must print, as the listing in `path` after `after` shows it (its
 * `← …` notes taken off), with the roomId of the START lines taken from `stdout`: both START lines
 * must then carry the same one.
 */
export function expectedTwoClientsOutput(stdout: string, path = 'README.md', after = 'prints, once the call is over'): string {
  const roomId = /^\S+: START from \S+ errorCode=0 param=(\d+)$/m.exec(stdout)?.[1] ?? '<no START line>';
  return fencedBlock(path, after)
    .split('\n')
    .map((line) => line.replace(/\s+←.*$/, '').replace(/^(\S+: START from \S+ errorCode=0 param=)\d+/, `$1${roomId}`))
    .join('\n');
}
