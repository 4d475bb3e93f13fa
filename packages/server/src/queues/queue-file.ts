import { readFileSync } from 'node:fs';
import { QUEUE_ID_PATTERN, queueDefinitionSchema, type Queue } from '@callgate/protocol';

/** Why a queue definition is wrong, naming the queue and the field. */
export class QueueDefinitionError extends Error {
  override readonly name = 'QueueDefinitionError';
}

/** Checks one definition; throws QueueDefinitionError naming the queue and its first wrong field. */
export function queueOf(id: string, definition: unknown): Queue {
  if (!QUEUE_ID_PATTERN.test(id)) throw new QueueDefinitionError(`queue ${JSON.stringify(id)}: the id must be 1-64 characters of A-Z a-z 0-9 _ . -`);
  const parsed = queueDefinitionSchema.safeParse(definition);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.length ? issue.path.join('.') : (issue?.code === 'unrecognized_keys' ? (issue as { keys?: string[] }).keys?.join(', ') : undefined);
    throw new QueueDefinitionError(`queue ${JSON.stringify(id)}: ${field ? `${field}: ` : ''}${issue?.message ?? 'invalid definition'}`);
  }
  return { id, ...parsed.data };
}

/**
 * The queues of a `--queues` file: `{ "queues": [{ "id": "billing", "name": "Billing", … }] }`,
 * a bare array of such queues, or an object of definitions by id. Throws naming the file, the
 * queue and the field that is wrong.
 */
export function readQueueFile(path: string): Queue[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new QueueDefinitionError(`queues file ${path}: ${(error as Error).message}`);
  }
  try {
    return queuesIn(json);
  } catch (error) {
    throw new QueueDefinitionError(`queues file ${path}: ${(error as Error).message}`);
  }
}

function queuesIn(json: unknown): Queue[] {
  const list = Array.isArray(json) ? json : (json as { queues?: unknown } | null)?.queues;
  if (Array.isArray(list)) {
    const seen = new Set<string>();
    return list.map((item: unknown, i) => {
      const { id, ...definition } = (item ?? {}) as { id?: unknown };
      if (typeof id !== 'string') throw new QueueDefinitionError(`queue #${i + 1}: id: a string is required`);
      if (seen.has(id)) throw new QueueDefinitionError(`queue ${JSON.stringify(id)}: defined twice`);
      seen.add(id);
      return queueOf(id, definition);
    });
  }
  if (json && typeof json === 'object') return Object.entries(json).map(([id, definition]) => queueOf(id, definition));
  throw new QueueDefinitionError('expected {"queues": [...]}, an array of queues, or an object of queues by id');
}
