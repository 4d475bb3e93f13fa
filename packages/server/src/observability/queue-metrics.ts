import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { agentStatusSchema, type Queue } from '@callgate/protocol';
import { agentFiguresOf } from '../queues/queue-figures.js';
import type { QueueTransition } from '../queues/types.js';
import type { StateBackend } from '../state/backend.js';

/** What the contact centre's metrics read when scraped. */
export interface QueueMetricSources {
  queues(): readonly Queue[];
  backend: Pick<StateBackend, 'line' | 'queueAgents'>;
}

/**
 * The contact centre's Prometheus metrics (docs/records.md, "Metrics"), in the server's registry.
 * The gauges are read from the state backend at each scrape (the whole cluster's with `--redis`,
 * like callgate_live_calls); the counter and histogram are observed from the queue transitions,
 * which only the node that committed a decision hears, so each entry counts once in a cluster.
 */
export class QueueMetrics {
  private readonly waitSeconds: Histogram<'queue'>;
  private readonly entries: Counter<'queue' | 'outcome'>;

  constructor(registry: Registry, sources: QueueMetricSources) {
    const registers = [registry];
    new Gauge({
      name: 'callgate_queue_waiting',
      help: 'Customers in each queue\u2019s line (waiting, or being offered to an agent)',
      labelNames: ['queue'],
      registers,
      async collect() {
        const queues = sources.queues();
        const lengths = await Promise.all(queues.map(async (queue) => (await sources.backend.line(queue.id)).length));
        this.reset();
        queues.forEach((queue, i) => this.set({ queue: queue.id }, lengths[i] ?? 0));
      },
    });
    new Gauge({
      name: 'callgate_agents',
      help: 'Agents serving the defined queues, by status (an agent whose device is away counts as offline)',
      labelNames: ['status'],
      registers,
      async collect() {
        const byQueue = await Promise.all(sources.queues().map((queue) => sources.backend.queueAgents(queue.id)));
        const statuses = new Map<string, string>();
        for (const user of byQueue.flat()) {
          const figures = agentFiguresOf(user);
          if (figures) statuses.set(user.userId, figures.status);
        }
        for (const status of agentStatusSchema.options) this.set({ status }, 0);
        const counts = new Map<string, number>();
        for (const status of statuses.values()) counts.set(status, (counts.get(status) ?? 0) + 1);
        for (const [status, count] of counts) this.set({ status }, count);
      },
    });
    this.waitSeconds = new Histogram({
      name: 'callgate_queue_wait_seconds',
      help: 'From entering (the first queue) to an agent answering, per queue that answered',
      labelNames: ['queue'],
      buckets: [1, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600],
      registers,
    });
    this.entries = new Counter({
      name: 'callgate_queue_entries_total',
      help: 'Queue entries ended, by the queue they ended in and their outcome (served, abandoned, timeout, closed)',
      labelNames: ['queue', 'outcome'],
      registers,
    });
  }

  transition(transition: QueueTransition): void {
    if (transition.type === 'answered') {
      this.waitSeconds.observe({ queue: transition.entry.queue }, Math.max(0, transition.at - transition.entry.enteredAt) / 1000);
    } else if (transition.type === 'ended') {
      this.entries.inc({ queue: transition.entry.queue, outcome: transition.outcome });
    }
  }
}
