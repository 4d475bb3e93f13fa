/** How much of each workload a run does. `--quick` is the CI smoke run; full is for the report. */
export interface Plan {
  mode: 'quick' | 'full';
  /** Token key shared by the bench and the Callgate nodes; not a secret of anything real. */
  secret: string;
  latency: { calls: number; warmup: number };
  throughput: {
    pairs: number;
    /** Offered rates, calls per second, tried in order. */
    rates: number[];
    stepMs: number;
    /** How long calls still in progress may take to end after a step. */
    drainMs: number;
    /** The pass mark: p99 setup under this, with no fault and no dropped arrival. */
    p99LimitMs: number;
    /** Stop climbing after this many failed steps in a row. */
    stopAfterFailures: number;
    /** How long a callee lets its device ring before it accepts. */
    ringMs: number;
  };
  connections: {
    /** A number of idle users, or 'max': as many as the server process may open files for. */
    sizes: (number | 'max')[];
    /** Users per generator process (each process has its own open-files limit). */
    perGenerator: number;
    /** Handshakes in flight per generator. */
    concurrency: number;
    /**
     * How long to watch the node's event loop while the users sit idle; longer than the server's
     * heartbeat interval (20 s), so that one round of pings falls in it. 0: not watched.
     */
    watchIdleMs: number;
  };
  /**
   * Before each measurement, wait at most this long for the machine to be nearly idle (other
   * builds or test suites may share it); failed steps run while it was busy are tried again.
   */
  quietWaitMs: number;
  /**
   * Nice value for the bench and every process it starts (servers, generators), when the OS
   * allows it; null leaves the priority alone. A full run on a machine shared with builds and test
   * suites asks for a little more than its share of CPU, so that the figures are about the servers.
   */
  nice: number | null;
  /** The contact centre: waiting customers and agents per run, offers measured, each call's length. */
  queues: { sizes: { customers: number; agents: number }[]; offers: number; talkMs: number };
  /**
   * History reads against ring delivery: one user with `records` call records in a SQLite file,
   * `readers` loops reading its newest page (`/api/calls?limit=1`) while one pair calls.
   */
  history: { records: number; readers: number; calls: number; warmup: number; /** The open-loop rate with readers when no highest passing rate is known. */ fallbackRate: number };
  /**
   * Redis cost per call cycle: `calls` sequential calls of one pair (after `warmup`), then the
   * nodes idle at least `minIdleMs` (and at least as long as the calls took) for the background.
   */
  redisCost: { calls: number; warmup: number; minIdleMs: number };
  /**
   * The idle crowd over several nodes on Redis: `users` in all, generator processes of at most
   * `perGenerator`, `concurrency` handshakes in flight each; then `calls` sequential calls of one
   * pair on two nodes while every node's event loop is watched for `watchMs`.
   */
  crowd: { users: number; perGenerator: number; concurrency: number; calls: number; watchMs: number } | null;
  /** The capacity model against this machine: 1 and 2 nodes on one pinned core, climbing these rates. */
  scaleCheck: { rates: number[]; stepMs: number } | null;
  /** Profile the Callgate node during one step at this share of its highest passing rate. */
  profile: { share: number; fallbackRate: number; durationMs: number } | null;
}

const secret = 'callgate-bench-secret';

export const quickPlan: Plan = {
  mode: 'quick',
  secret,
  latency: { calls: 300, warmup: 50 },
  throughput: {
    pairs: 200,
    rates: [250, 500, 1000],
    stepMs: 1000,
    drainMs: 10_000,
    p99LimitMs: 50,
    stopAfterFailures: 1,
    ringMs: 0,
  },
  connections: { sizes: [1000], perGenerator: 9000, concurrency: 100, watchIdleMs: 0 },
  queues: { sizes: [{ customers: 400, agents: 20 }], offers: 200, talkMs: 100 },
  history: { records: 5000, readers: 4, calls: 300, warmup: 50, fallbackRate: 250 },
  redisCost: { calls: 50, warmup: 10, minIdleMs: 1000 },
  crowd: { users: 600, perGenerator: 300, concurrency: 50, calls: 30, watchMs: 1000 },
  scaleCheck: null,
  quietWaitMs: 0,
  nice: null,
  profile: null,
};

export const fullPlan: Plan = {
  mode: 'full',
  secret,
  latency: { calls: 5000, warmup: 500 },
  throughput: {
    pairs: 800,
    rates: [500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 5000, 6000, 7000, 8000, 10000, 12000, 14000, 16000, 20000],
    stepMs: 8000,
    drainMs: 5000,
    p99LimitMs: 50,
    stopAfterFailures: 2,
    ringMs: 0,
  },
  connections: { sizes: [10_000, 50_000, 'max'], perGenerator: 9000, concurrency: 200, watchIdleMs: 22_000 },
  queues: {
    sizes: [
      { customers: 1000, agents: 200 },
      { customers: 5000, agents: 200 },
    ],
    offers: 3000,
    talkMs: 500,
  },
  history: { records: 100_000, readers: 4, calls: 3000, warmup: 200, fallbackRate: 1000 },
  redisCost: { calls: 200, warmup: 20, minIdleMs: 3000 },
  // 50 handshakes in flight per generator: with 12 generators at once on 2 cores, 200 each left
  // handshakes waiting long enough for some to be hung up.
  crowd: { users: 100_000, perGenerator: 9000, concurrency: 50, calls: 200, watchMs: 22_000 },
  scaleCheck: { rates: [250, 500, 750, 1000, 1250, 1500, 2000, 2500], stepMs: 5000 },
  quietWaitMs: 20_000,
  nice: -5,
  profile: { share: 0.6, fallbackRate: 1000, durationMs: 10_000 },
};
