/**
 * The servers under test. Each target says how to launch its node(s); the load generator spreads
 * its users over the nodes' URLs, so a cluster target is only a longer `nodes` list (plus the
 * services it needs). A target with `pending` is listed in the report but not run.
 */
export type NodeLaunch =
  | { kind: 'relay' }
  /**
   * `options` are passed to startServer as they are (port, host and secret are set by the bench);
   * with `recordsFile`, call records go to a fresh SQLite file in a temporary folder.
   */
  | { kind: 'callgate'; options: Record<string, unknown>; recordsFile?: boolean; cluster?: boolean };

/**
 * The bench's users all come from loopback addresses, and a few of them make many calls a second
 * (the latency floor is one pair calling back to back), and each generator has up to 200
 * handshakes in flight at once, so the per-address, connection and per-user limits are lifted.
 * The limiter still runs on every message: its cost is measured, not its refusals.
 */
const benchLimits = {
  maxConnectionsPerIp: 0,
  maxHttpConnectionsPerIp: 0,
  maxHttpConnections: 0,
  messagesPerSecond: 1_000_000,
  messageBurst: 1_000_000,
  controlsPerSecond: 1_000_000,
  controlBurst: 1_000_000,
};

export type WorkloadName = 'latency' | 'throughput' | 'connections' | 'queues' | 'history' | 'profile' | 'redis-cost' | 'crowd' | 'scale-check';

export interface Target {
  id: string;
  title: string;
  /** The raw relay every figure is compared with. */
  baseline?: boolean;
  nodes: NodeLaunch[];
  workloads: WorkloadName[];
  /** Why this target cannot run yet; the report shows it as pending. */
  pending?: string;
}

export const targets: Target[] = [
  {
    id: 'relay',
    title: 'raw ws relay (baseline)',
    baseline: true,
    nodes: [{ kind: 'relay' }],
    workloads: ['latency', 'throughput', 'connections'],
  },
  {
    id: 'callgate',
    title: 'Callgate, 1 node, in-memory state, records in in-memory SQLite',
    // startServer always writes call records; ':memory:' (its default) is the closest to "off":
    // records are built and written, but never reach a disk.
    nodes: [{ kind: 'callgate', options: { limits: benchLimits, db: ':memory:' } }],
    workloads: ['latency', 'throughput', 'connections', 'queues', 'profile'],
  },
  {
    id: 'callgate-records',
    title: 'Callgate, 1 node, in-memory state, records in a SQLite file',
    // What `callgate serve` does by default (./data/callgate.db): every transition reaches the disk.
    nodes: [{ kind: 'callgate', options: { limits: benchLimits }, recordsFile: true }],
    workloads: ['latency', 'throughput', 'history'],
  },
  {
    id: 'callgate-cluster-1',
    title: 'Callgate, 1 node with its state in Redis (cluster mode)',
    // `cluster`: the bench starts a redis-server for the target and gives every node its URL.
    nodes: [{ kind: 'callgate', options: { limits: benchLimits, db: ':memory:' }, cluster: true }],
    workloads: ['throughput', 'redis-cost', 'scale-check'],
  },
  {
    id: 'callgate-cluster-2',
    title: 'Callgate, 2 nodes sharing state through Redis (the capacity check, pinned to one core)',
    nodes: [1, 2].map(() => ({ kind: 'callgate' as const, options: { limits: benchLimits, db: ':memory:' }, cluster: true })),
    workloads: ['scale-check'],
  },
  {
    id: 'callgate-cluster-3',
    title: 'Callgate, 3 nodes sharing state through Redis',
    nodes: [1, 2, 3].map(() => ({ kind: 'callgate' as const, options: { limits: benchLimits, db: ':memory:' }, cluster: true })),
    workloads: ['throughput', 'redis-cost', 'queues'],
  },
  {
    id: 'callgate-cluster-6',
    title: 'Callgate, 6 nodes sharing state through Redis (the idle crowd)',
    nodes: [1, 2, 3, 4, 5, 6].map(() => ({ kind: 'callgate' as const, options: { limits: benchLimits, db: ':memory:' }, cluster: true })),
    workloads: ['crowd'],
  },
];
