import type { Logger } from 'pino';
import type { AgentFigures, Queue, QueueFigures } from '@callgate/protocol';
import type { UserRecord } from '../calls/types.js';
import type { QueueWatcher, QueueWatchers } from '../gateway/contact-centre-messages.js';
import type { StateBackend } from '../state/backend.js';
import type { QueueChanges } from '../state/queue-indexes.js';
import { agentFiguresOf, queueFiguresOf } from './queue-figures.js';
import { OneAtATime } from '../one-at-a-time.js';

/** How often watchers hear changes, at most. */
export const BOARD_INTERVAL_MS = 500;

/**
 * The supervisors' live picture on this node: every queue's figures and every agent, as a
 * snapshot when a supervisor starts watching, then what changed, at most twice a second.
 */
export class QueueBoard implements QueueWatchers {
  private readonly watchers = new Set<QueueWatcher>();
  private readonly pending = { queues: new Set<string>(), agents: new Set<string>() };
  private timer: NodeJS.Timeout | undefined;
  private readonly reads = new OneAtATime();

  constructor(
    private readonly backend: Pick<StateBackend, 'line' | 'queueAgents' | 'userRecords'>,
    private readonly queues: { list(): Queue[]; lookup(id: string): Queue | undefined },
    private readonly logger: Logger,
  ) {}

  async watch(watcher: QueueWatcher): Promise<void> {
    this.watchers.add(watcher);
    await this.enqueue(async () => {
      const { queues, agents } = await this.read(this.queues.list().map((queue) => queue.id), undefined);
      if (this.watchers.has(watcher)) watcher.send({ type: 'queues', snapshot: true, queues, agents, gone: [] });
    });
  }

  unwatch(watcher: QueueWatcher): void {
    this.watchers.delete(watcher);
  }

  async waiting(queueIds: readonly string[]): Promise<Map<string, number>> {
    const lines = await Promise.all(queueIds.map((queueId) => this.backend.line(queueId)));
    return new Map(queueIds.map((queueId, i) => [queueId, lines[i]!.length]));
  }

  /** These queues and agents changed (by a decision on any node), or the set of queues did. */
  changed(changes: QueueChanges): void {
    if (this.watchers.size === 0) return;
    changes.queues.forEach((queue) => this.pending.queues.add(queue));
    changes.agents.forEach((agent) => this.pending.agents.add(agent));
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.enqueue(() => this.flush());
    }, BOARD_INTERVAL_MS).unref();
  }

  close(): void {
    clearTimeout(this.timer);
    this.watchers.clear();
  }

  private async flush(): Promise<void> {
    const queueIds = [...this.pending.queues];
    const agentIds = [...this.pending.agents];
    this.pending.queues.clear();
    this.pending.agents.clear();
    if (this.watchers.size === 0) return;
    const { queues, agents } = await this.read(queueIds, agentIds);
    const present = new Set(agents.map((agent) => agent.userId));
    const gone = agentIds.filter((id) => !present.has(id));
    for (const watcher of this.watchers) watcher.send({ type: 'queues', snapshot: false, queues, agents, gone });
  }

  /** The figures of these queues, and of these agents (or, without a list, of every agent of the queues). */
  private async read(queueIds: readonly string[], agentIds: readonly string[] | undefined): Promise<{ queues: QueueFigures[]; agents: AgentFigures[] }> {
    const now = Date.now();
    const queues: QueueFigures[] = [];
    const everyAgent = new Map<string, UserRecord>();
    for (const queueId of queueIds) {
      const queue = this.queues.lookup(queueId);
      if (!queue) continue;
      const [line, agents] = await Promise.all([this.backend.line(queueId), this.backend.queueAgents(queueId)]);
      queues.push(queueFiguresOf(queue, line, agents, now));
      for (const agent of agents) everyAgent.set(agent.userId, agent);
    }
    const users = agentIds === undefined ? [...everyAgent.values()] : (await this.backend.userRecords(agentIds)).filter((u): u is UserRecord => u !== undefined);
    return { queues, agents: users.flatMap((user) => agentFiguresOf(user) ?? []) };
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.reads.run(task);
    run.catch((error: unknown) => this.logger.warn({ err: error }, 'the queue board could not be read'));
    return run;
  }
}
