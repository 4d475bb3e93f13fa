import { performance } from 'node:perf_hooks';
import { VideoCallEvent, type EventMessage } from '@callgate/protocol';
import type { LatencyHistogram } from './latency-histogram.js';
import type { Problem, WireUser } from './wire-user.js';

const { REQUEST, REPLY, START, FINISH } = VideoCallEvent;
/** AUDIO | VIDEO, as a real call would ask. */
const FLAGS = 0x03;

/** What the generator saw, counted over many calls. */
export interface CallTally {
  started: number;
  completed: number;
  /** `error` messages from the server, and sockets that closed under load. */
  errors: number;
  /** Expected events that never came (counted when a call is given up), and seq gaps. */
  lost: number;
  /** Events naming someone other than the user's peer in this call, or arriving outside a call. */
  misrouted: number;
  /** Events from the right peer but of the wrong type or code, out of order, or with a payload or roomId that does not match. */
  wrong: number;
  /** The first few problems, word for word, to tell what went wrong. */
  notes: string[];
}

export const newTally = (): CallTally => ({ started: 0, completed: 0, errors: 0, lost: 0, misrouted: 0, wrong: 0, notes: [] });

export const faults = (t: CallTally): number => t.errors + t.lost + t.misrouted + t.wrong;

export interface CallTiming {
  /** REQUEST sent by the caller → REQUEST received by the callee. */
  ring: LatencyHistogram | null;
  /** REQUEST due (open loop: when it was scheduled) → START received by the caller. */
  setup: LatencyHistogram | null;
}

/** One side of the call in progress: the events it must see, in order. */
interface Side {
  user: WireUser;
  peer: string;
  expected: readonly number[];
  next: number;
  roomId: number;
  callId: string;
}

interface CallInProgress {
  n: number;
  intendedAt: number;
  sentAt: number;
  timing: CallTiming;
  onDone: () => void;
  caller: Side;
  callee: Side;
}

/**
 * Two users who call each other over and over: the caller sends REQUEST, the callee answers
 * REPLY 0 after the ring time, the caller hangs up (FINISH 0) as soon as START arrives. Every
 * event either user receives is checked against what this call expects at that point.
 */
export class CallPair {
  private call: CallInProgress | null = null;
  private stuck = false;

  constructor(
    readonly caller: WireUser,
    readonly callee: WireUser,
    private readonly tally: () => CallTally,
    private readonly ringMs: number,
  ) {
    caller.onEvent = (event, at) => this.receive('caller', event, at);
    callee.onEvent = (event, at) => this.receive('callee', event, at);
    caller.onProblem = callee.onProblem = (problem, detail) => this.problem(problem, detail);
  }

  /** Free for a new call: the last one ended at both sides and nothing went wrong for good. */
  get idle(): boolean {
    return this.call === null && !this.stuck;
  }

  start(n: number, intendedAt: number, timing: CallTiming, onDone: () => void): void {
    const side = (user: WireUser, peer: WireUser, first: number): Side => ({
      user,
      peer: peer.userId,
      expected: [first, START, FINISH],
      next: 0,
      roomId: 0,
      callId: '',
    });
    this.call = {
      n,
      intendedAt,
      sentAt: performance.now(),
      timing,
      onDone,
      caller: side(this.caller, this.callee, REPLY),
      callee: side(this.callee, this.caller, REQUEST),
    };
    this.tally().started += 1;
    this.caller.control(REQUEST, this.callee.userId, 0, FLAGS, n, `call-${n}`);
  }

  /** Gives the call in progress up: its missing events count as lost; the pair is not used again. */
  abandon(): void {
    const call = this.call;
    if (!call) return;
    const missing = (s: Side): number => s.expected.length - s.next;
    this.tally().lost += missing(call.caller) + missing(call.callee);
    this.note(`call ${call.n} (${this.caller.userId} → ${this.callee.userId}) never ended: caller at step ${call.caller.next}, callee at step ${call.callee.next}`);
    this.call = null;
    this.stuck = true;
  }

  private receive(role: 'caller' | 'callee', event: EventMessage, at: number): void {
    const call = this.call;
    const t = this.tally();
    const user = role === 'caller' ? this.caller : this.callee;
    const peer = role === 'caller' ? this.callee : this.caller;
    if (!call) {
      if (event.userId === peer.userId) t.wrong += 1;
      else t.misrouted += 1;
      this.note(`${user.userId} got event ${event.event} from ${event.userId} outside a call`);
      return;
    }
    const side = call[role];
    if (event.userId !== side.peer) {
      t.misrouted += 1;
      this.note(`${user.userId} got event ${event.event} from ${event.userId}, expected ${side.peer}`);
      return;
    }
    const wanted = side.expected[side.next];
    if (event.event !== wanted || event.errorCode !== 0) {
      t.wrong += 1;
      this.note(`${user.userId} got event ${event.event} code ${event.errorCode}, expected ${wanted ?? 'nothing'} code 0`);
      return;
    }
    side.next += 1;
    switch (event.event) {
      case REQUEST:
        if (event.flags !== FLAGS || event.param !== call.n || event.userStr !== `call-${call.n}`) {
          t.wrong += 1;
          this.note(`${user.userId} got REQUEST ${JSON.stringify(event)} for call ${call.n}`);
        }
        call.timing.ring?.recordMs(at - call.sentAt);
        if (this.ringMs > 0) setTimeout(() => this.answer(call), this.ringMs);
        else this.answer(call);
        return;
      case START: {
        side.roomId = event.param;
        side.callId = event.callId;
        const other = role === 'caller' ? call.callee : call.caller;
        if (event.param === 0 || (other.roomId !== 0 && (other.roomId !== side.roomId || other.callId !== side.callId))) {
          t.wrong += 1;
          this.note(`call ${call.n}: START roomId ${event.param}/${event.callId} vs ${other.roomId}/${other.callId}`);
        }
        if (role === 'caller') {
          call.timing.setup?.recordMs(at - call.intendedAt);
          this.caller.control(FINISH, this.callee.userId, 0);
        }
        return;
      }
      case FINISH:
        if (call.caller.next === call.caller.expected.length && call.callee.next === call.callee.expected.length) {
          t.completed += 1;
          this.call = null;
          call.onDone();
        }
        return;
    }
  }

  private answer(call: CallInProgress): void {
    if (this.call === call) this.callee.control(REPLY, this.caller.userId, 0);
  }

  private problem(problem: Problem, detail: string): void {
    const t = this.tally();
    if (problem === 'seq') t.lost += 1;
    else t.errors += 1;
    this.note(`${problem}: ${detail}`);
  }

  private note(text: string): void {
    const notes = this.tally().notes;
    if (notes.length < 5) notes.push(text);
  }
}
