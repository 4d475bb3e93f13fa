import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LIVE_CALL_PHASES, type ClientMessage, type ParseResult, type ServerMessage } from '@callgate/protocol';
import type { CallPhase, CallRecord, CallTransition } from '../calls/types.js';
import type { ConnectionObserver } from '../gateway/connection-observer.js';
import type { RecordWriterObserver } from '../records/record-writer.js';
import { RingDeliveryClock } from './ring-delivery.js';

/** What the metrics read when scraped. */
export interface MetricSources {
  connectedUsers(): number;
  /** Device count → users with that many devices connected. */
  devicesPerUser(): ReadonlyMap<number, number>;
  liveCalls(): Promise<CallRecord[]>;
  recordQueueDepth(): number;
}

const phases: readonly CallPhase[] = LIVE_CALL_PHASES;

/**
 * The server's Prometheus metrics, in a registry of its own (several servers may share a
 * process), with Node's default process metrics.
 */
export class CallMetrics {
  readonly registry = new Registry();
  readonly connections: ConnectionObserver;
  readonly records: RecordWriterObserver;
  private readonly requested: Counter;
  private readonly ended: Counter<'outcome'>;
  private readonly setup: Histogram;
  private readonly ringClock: RingDeliveryClock;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'callgate_connected_users',
      help: 'Users with an open socket on this server',
      registers,
      collect() {
        this.set(sources.connectedUsers());
      },
    });
    new Gauge({
      name: 'callgate_connected_devices',
      help: 'Devices (sockets that signed in) connected to this server',
      registers,
      collect() {
        let devices = 0;
        for (const [count, users] of sources.devicesPerUser()) devices += count * users;
        this.set(devices);
      },
    });
    new Gauge({
      name: 'callgate_users_by_devices',
      help: 'Users connected to this server, by how many of their devices are connected to it (1, 2, 3, 4, 5+)',
      labelNames: ['devices'],
      registers,
      collect() {
        const buckets = new Map<string, number>(['1', '2', '3', '4', '5+'].map((label) => [label, 0]));
        for (const [count, users] of sources.devicesPerUser()) {
          const label = count >= 5 ? '5+' : String(count);
          buckets.set(label, (buckets.get(label) ?? 0) + users);
        }
        for (const [devices, users] of buckets) this.set({ devices }, users);
      },
    });
    new Gauge({
      name: 'callgate_live_calls',
      help: 'Live calls by phase (dialing: not yet at the callee, e.g. while the business server decides; ringing; talking)',
      labelNames: ['phase'],
      registers,
      async collect() {
        const counts = new Map<string, number>(phases.map((phase) => [phase, 0]));
        for (const call of await sources.liveCalls()) counts.set(call.phase, (counts.get(call.phase) ?? 0) + 1);
        for (const [phase, count] of counts) this.set({ phase }, count);
      },
    });
    this.requested = new Counter({
      name: 'callgate_calls_requested_total',
      help: 'REQUESTs that started a call (not those refused at once)',
      registers,
    });
    this.ended = new Counter({
      name: 'callgate_calls_ended_total',
      help: 'Calls ended, by outcome (including REQUESTs refused at once: busy, offline, caller-busy, invalid, shutting-down)',
      labelNames: ['outcome'],
      registers,
    });
    this.setup = new Histogram({
      name: 'callgate_call_setup_seconds',
      help: 'From REQUEST to START, for calls that started',
      buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120],
      registers,
    });
    const ringDelivery = new Histogram({
      name: 'callgate_ring_delivery_seconds',
      help: "From the REQUEST control's arrival at the server to the REQUEST event written to the callee's socket",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers,
    });
    this.ringClock = new RingDeliveryClock((seconds) => ringDelivery.observe(seconds));
    const received = new Counter({
      name: 'callgate_messages_received_total',
      help: 'Messages from users, by type ("invalid" for those that did not parse)',
      labelNames: ['type'],
      registers,
    });
    const sent = new Counter({
      name: 'callgate_messages_sent_total',
      help: 'Messages to users, by type',
      labelNames: ['type'],
      registers,
    });
    const refused = new Counter({
      name: 'callgate_messages_refused_total',
      help: 'Messages refused with an error message, by error name',
      labelNames: ['reason'],
      registers,
    });
    new Gauge({
      name: 'callgate_record_queue_depth',
      help: 'Call records waiting to be written to the database',
      registers,
      collect() {
        this.set(sources.recordQueueDepth());
      },
    });
    const recordsWritten = new Counter({ name: 'callgate_records_written_total', help: 'Call record writes committed', registers });
    const recordFailures = new Counter({
      name: 'callgate_record_write_failures_total',
      help: 'Failed attempts to write a batch of call records (each is retried)',
      registers,
    });
    const ringClock = this.ringClock;
    this.connections = {
      received(parsed: ParseResult<ClientMessage>, userId: string) {
        received.inc({ type: parsed.ok ? parsed.message.type : 'invalid' });
        ringClock.received(parsed, userId);
      },
      sent(message: ServerMessage, userId: string) {
        sent.inc({ type: message.type });
        if (message.type === 'error') refused.inc({ reason: message.name });
        ringClock.sent(message, userId);
      },
    };
    this.records = {
      written: (rows) => recordsWritten.inc(rows),
      failed: () => recordFailures.inc(),
    };
  }

  transition(transition: CallTransition): void {
    this.ringClock.transition(transition);
    if (transition.type === 'requested') this.requested.inc();
    else if (transition.type === 'started') this.setup.observe(Math.max(0, transition.at - transition.call.requestedAt) / 1000);
    else if (transition.type === 'ended') this.ended.inc({ outcome: transition.outcome });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
