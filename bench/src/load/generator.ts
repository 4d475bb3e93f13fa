import { answerRequests, type Request } from '../ipc.js';
import { maxOpenFiles } from '../nodes/node-probe.js';
import { mintUsers } from './connect-all.js';
import { IdleCrowd } from './idle-crowd.js';
import { PairPool } from './pair-pool.js';
import { QueueDesk, type QueueDeskOptions } from './queue-desk.js';

/**
 * The load generator: a child process of its own, told what to do by the bench over IPC.
 *   pairs        connect a pool of caller/callee pairs      latency  one pair, sequential calls
 *   step         one open-loop step at a rate               idle     mint an idle crowd
 *   idle-connect connect the idle crowd                     stop     close everything and exit
 *   desk         a crowd waits in a queue                   desk-run agents take them one after another
 *   presence     one watcher's snapshot of some users' presence
 */
let pool: PairPool | undefined;
let crowd: IdleCrowd | undefined;
let desk: QueueDesk | undefined;
let nextCall = 1;

const field = <T>(request: Request, name: string): T => {
  if (!(name in request)) throw new Error(`${request.op}: missing ${name}`);
  return request[name] as T;
};

answerRequests({ pid: process.pid, maxOpenFiles: maxOpenFiles() }, async (request) => {
  switch (request.op) {
    case 'pairs': {
      const started = performance.now();
      const connected = await PairPool.connect({
        urls: field(request, 'urls'),
        secret: field(request, 'secret'),
        pairs: field(request, 'pairs'),
        prefix: field(request, 'prefix'),
        ringMs: field(request, 'ringMs'),
      });
      pool = connected.pool;
      return { ...connected.outcome, ms: Math.round(performance.now() - started) };
    }
    case 'latency': {
      if (!pool) throw new Error('latency: no pairs');
      return pool.latencyFloor(field(request, 'calls'), field(request, 'warmup'));
    }
    case 'step': {
      if (!pool) throw new Error('step: no pairs');
      const rate = field<number>(request, 'rate');
      const durationMs = field<number>(request, 'durationMs');
      const result = await pool.step(rate, durationMs, field(request, 'drainMs'), nextCall);
      nextCall += Math.round((rate * durationMs) / 1000);
      return result;
    }
    case 'idle': {
      const localAddress = request.localAddress as string | undefined;
      crowd = await IdleCrowd.prepare({
        urls: field(request, 'urls'),
        secret: field(request, 'secret'),
        count: field(request, 'count'),
        prefix: field(request, 'prefix'),
        ...(localAddress ? { localAddress } : {}),
      });
      return null;
    }
    case 'idle-connect': {
      if (!crowd) throw new Error('idle-connect: no crowd');
      return crowd.connect(field(request, 'concurrency'));
    }
    case 'desk':
      desk = await QueueDesk.prepare(field<QueueDeskOptions>(request, 'desk'));
      return null;
    case 'desk-run':
      if (!desk) throw new Error('desk-run: no desk');
      return desk.run();
    case 'presence': {
      const [watcher] = await mintUsers(field(request, 'secret'), [field<string>(request, 'watcher')]);
      await watcher!.connect(field(request, 'url'));
      try {
        return await watcher!.presenceSnapshot(field(request, 'users'));
      } finally {
        watcher!.close();
      }
    }
    case 'stop':
      pool?.close();
      crowd?.close();
      desk?.close();
      setImmediate(() => process.exit(0));
      return null;
    default:
      throw new Error(`unknown request ${request.op}`);
  }
});
