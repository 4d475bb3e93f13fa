import type { LatencyFloorResult } from './load/pair-pool.js';
import type { Machine } from './machine.js';
import type { Plan } from './plan.js';
import type { ConnectionRun } from './workloads/connections.js';
import type { ProfileResult } from './workloads/profile.js';
import type { ThroughputResult } from './workloads/throughput.js';
import type { QueueRun } from './workloads/queues.js';
import type { HistoryRun } from './workloads/history.js';
import type { RedisCostRun } from './workloads/redis-cost.js';
import type { CrowdRun } from './workloads/crowd.js';
import type { ScaleCheckRun } from './workloads/scale-check.js';

/** Everything one bench run measured: bench/results/latest.json. */
export interface BenchResults {
  version: 1;
  mode: Plan['mode'];
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  machine: Machine;
  plan: Plan;
  targets: { id: string; title: string; baseline: boolean; pending?: string }[];
  latency: Record<string, LatencyFloorResult>;
  throughput: Record<string, ThroughputResult>;
  connections: Record<string, ConnectionRun[]>;
  /** The contact centre at size, per target. */
  queues?: Record<string, QueueRun[]>;
  /** Ring delivery while history readers read a long history, per target. */
  history?: Record<string, HistoryRun>;
  /** Redis commands, round trips and CPU per call cycle, per cluster target. */
  redisCost?: Record<string, RedisCostRun>;
  /** The idle crowd over several nodes on Redis, per target. */
  crowd?: Record<string, CrowdRun>;
  /** The capacity model against this machine: 1 and 2 nodes pinned to one core. */
  scaleCheck?: ScaleCheckRun | null;
  /**
   * With --only in a full run: the workloads run then, on which machine and when. The rest of the
   * file (machine, times) is the run the other workloads' figures were kept from.
   */
  partialRuns?: { workloads: string[]; startedAt: string; durationSeconds: number; machine: Machine }[];
  profile: ProfileResult | null;
}
