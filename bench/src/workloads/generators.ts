import { ChildChannel } from '../ipc.js';

export interface GeneratorReady {
  pid: number;
  maxOpenFiles: number | null;
}

const script = new URL('../load/generator.js', import.meta.url);

/** A load generator in a child process of its own. */
export async function startGenerator(name: string): Promise<ChildChannel<GeneratorReady>> {
  // A larger young generation: fewer objects survive into the old one, so fewer mark-compact
  // pauses in the generator show up as latency of the server under test.
  const generator = ChildChannel.start<GeneratorReady>(name, script, [], ['--max-semi-space-size=32']);
  await generator.ready;
  return generator;
}

let nextHost = 1;

/**
 * A loopback source address not used by an earlier run of this bench process (127.0.0.2 …
 * 127.0.0.254), so that each crowd has a fresh range of ephemeral ports even while the ports of
 * the previous runs wait in TIME_WAIT.
 */
export function freshSourceAddress(): string {
  nextHost = (nextHost % 253) + 1;
  return `127.0.0.${nextHost + 1}`;
}
