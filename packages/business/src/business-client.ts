import { EventEmitter } from 'eventemitter3';
import {
  ErrorCode,
  VideoCallEvent,
  businessControlMessageSchema,
  customerPrioritySchema,
  uint32Schema,
  userIdSchema,
  type BusinessEventMessage,
  type BusinessLinkEvent,
  type BusinessPushMessage,
  type BusinessQueueEntryMessage,
  type BusinessQueueEventMessage,
  type UserState,
  type VideoCallEventType,
} from '@callgate/protocol';
import type { ReconnectPolicy } from '@callgate/protocol';
import { BusinessConnection, type LinkMessage, type LinkState } from './business-connection.js';
import { BusinessError, notConnected } from './errors.js';
import { EventLedger, type Answer } from './event-ledger.js';

/** What the callback gets beside the seed arguments. */
export interface BusinessEventDetails {
  /** Unique per event, the same if Callgate delivers it again: a key for de-duplication across processes. */
  eventId: string;
  /** The call this event belongs to. */
  callId: string;
  /** When the call got there, in ms since the epoch. */
  at: number;
  /** True when the return value decides a REQUEST; false for notifications. */
  decide: boolean;
}

/**
 * The seed business callback. For a REQUEST that waits for a decision, return (or resolve to) 0 to
 * let the callee ring or an error code to refuse the call; for every other event the value is ignored.
 */
export type BusinessEventCallback = (
  eventType: VideoCallEventType,
  srcUserId: string,
  tarUserId: string,
  errorCode: number,
  flags: number,
  param: number,
  userStr: string,
  details: BusinessEventDetails,
) => number | Promise<number>;

/** A customer asks to enter a queue (see `setOnQueueEntryCallback`). */
export interface QueueEntryRequest {
  customer: string;
  queue: string;
  /** What the customer's `enterQueue` carried. */
  flags: number;
  param: number;
  userStr: string;
  /** When it asked, in ms since the epoch. */
  at: number;
  /** The same if Callgate asks again (after a failover). */
  eventId: string;
}

/** 0 lets the customer in, another code refuses it (the customer's `enterQueue` rejects with it), `{ priority }` lets it in at that priority (0–100). */
export type QueueEntryDecision = number | { priority: number };

export type QueueEntryCallback = (entry: QueueEntryRequest) => QueueEntryDecision | Promise<QueueEntryDecision>;

/** One step of a queue entry (docs/business.md, "Queue entries"): `id` is the de-duplication key. */
export type QueueEvent = Omit<BusinessQueueEventMessage, 'type'>;

/** Hears every step of every queue entry, in order per entry; what it returns is ignored. */
export type QueueEventCallback = (event: QueueEvent) => void | Promise<void>;

/**
 * A REQUEST found no device of `callee` connected and waits until `until` for one (docs/business.md,
 * "Waking a callee"): `step: "wake"` — send the callee's app a push (APNs VoIP, FCM…) so that it
 * connects; `step: "cancelled"` — the wait is over (the caller gave up, or nobody came): withdraw it.
 */
export type PushRequest = Omit<BusinessPushMessage, 'type'>;

/** Sends (or withdraws) a push; what it returns is ignored, a throw is reported as an 'error'. */
export type PushCallback = (push: PushRequest) => void | Promise<void>;

export interface BusinessClientOptions {
  /** Callgate's base URL, the same the client SDK takes, e.g. ws://127.0.0.1:8080. */
  url: string;
  /** The server's business secret (`--business-secret`), not the users' token secret. */
  secret: string;
  reconnect?: ReconnectPolicy;
}

export interface BusinessClientEvents {
  'connection-state': (state: LinkState) => void;
  /** The callback failed, or the link was refused for good. */
  error: (error: BusinessError) => void;
}

interface Pending {
  settle(message: LinkMessage | null): void;
}

/**
 * A business server's link to Callgate: it is asked about every call request, hears every call
 * event, and may end any user's call. Several processes may connect at once: each event goes to one.
 */
export class BusinessClient extends EventEmitter<BusinessClientEvents> {
  private readonly connection: BusinessConnection;
  private callback: BusinessEventCallback | null = null;
  private entryCallback: QueueEntryCallback | null = null;
  private queueCallback: QueueEventCallback | null = null;
  private pushCallback: PushCallback | null = null;
  private readonly ledger = new EventLedger();
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;

  constructor(options: BusinessClientOptions) {
    super();
    if (!options.secret) throw new TypeError('BusinessClient: the business secret is required');
    this.connection = new BusinessConnection({ ...options, sendsPush: () => this.pushCallback !== null });
    this.connection.on('state', (state) => this.emit('connection-state', state));
    this.connection.on('message', (message) => this.received(message));
    this.connection.on('lost', () => this.settleAll());
    this.connection.on('closed', (error) => {
      if (error) this.emit('error', error);
    });
  }

  get connectionState(): LinkState {
    return this.connection.state;
  }

  /** Connects and authenticates; rejects with a BusinessError (UNAUTHORIZED, NOT_CONNECTED). Reconnects by itself after. */
  async connect(): Promise<void> {
    await this.connection.open();
  }

  /** Leaves. Events this process has not acknowledged yet go to another business server. */
  close(): void {
    this.connection.close();
  }

  setOnVideoCallEventCallback(callback: BusinessEventCallback | null): void {
    this.callback = callback;
  }

  /**
   * Decides on each customer entering a queue, before anything changes: return (or resolve to) 0
   * to let it in, an error code to refuse it, or `{ priority }` to let it in at that priority.
   * Without a callback every entry is allowed. A throw, or anything else returned, is a failure
   * (the entry is refused with BUSINESS_UNAVAILABLE unless the server runs fail-open).
   */
  setOnQueueEntryCallback(callback: QueueEntryCallback | null): void {
    this.entryCallback = callback;
  }

  /** Hears every step of every queue entry (entered, offered, answered, transferred, served, …, rated), in order per entry. */
  setOnQueueEventCallback(callback: QueueEventCallback | null): void {
    this.queueCallback = callback;
  }

  /**
   * Turns this business server into the push hook: while set, a REQUEST to a user with no device
   * connected waits (`--offline-wait`, default 30 s) for one instead of failing OFFLINE, and the
   * callback is asked to wake the callee (`step: "wake"`) and later told when to withdraw that
   * notification (`step: "cancelled"`). Null turns it off.
   */
  setOnPushCallback(callback: PushCallback | null): void {
    const was = this.pushCallback !== null;
    this.pushCallback = callback;
    if (was !== (callback !== null)) this.connection.send({ type: 'push-hook', enabled: callback !== null });
  }

  /**
   * FINISH ends the call `userId` is in, at any phase: both parties get FINISH with `errorCode`
   * (and `flags`, `param`, `userStr`). Resolves to 0, or to NOTINCALL when the user is in no call,
   * INVALID_EVENT for another event, MALFORMED for bad arguments, NOT_CONNECTED when not connected.
   */
  videoCallControl(
    eventType: VideoCallEventType,
    userId: string | number,
    errorCode = 0,
    flags = 0,
    param = 0,
    userStr = '',
  ): Promise<number> {
    const id = `b${this.nextId++}`;
    const parsed = businessControlMessageSchema.safeParse({ type: 'control', id, event: eventType, userId, errorCode, flags, param, userStr });
    if (!parsed.success) return Promise.resolve(ErrorCode.MALFORMED);
    return this.request(parsed.data, (message) => {
      if (message === null) return ErrorCode.NOT_CONNECTED;
      if (message.type === 'result') return message.errorCode;
      return message.type === 'error' ? message.code : ErrorCode.INTERNAL;
    });
  }

  /** Where a user is: offline, idle, calling, ringing or talking (with the peer, callId and roomId). */
  async getUserState(userId: string | number): Promise<UserState> {
    const parsed = userIdSchema.safeParse(userId);
    if (!parsed.success) throw new BusinessError(ErrorCode.MALFORMED, `invalid user id ${JSON.stringify(userId)}`);
    const id = `b${this.nextId++}`;
    const answer = await this.request({ type: 'get-user-state', id, userId: parsed.data }, (message) => message);
    if (answer === null) throw notConnected();
    if (answer.type === 'error') throw new BusinessError(answer.code, answer.message);
    if (answer.type !== 'user-state') throw new BusinessError(ErrorCode.INTERNAL, `unexpected answer ${answer.type}`);
    const { type: _type, id: _id, ...state } = answer;
    return state;
  }

  private request<T>(
    message: Parameters<BusinessConnection['send']>[0] & { id: string },
    read: (answer: LinkMessage | null) => T,
  ): Promise<T> {
    return new Promise((resolve) => {
      if (!this.connection.send(message)) {
        resolve(read(null));
        return;
      }
      this.pending.set(message.id, { settle: (answer) => resolve(read(answer)) });
    });
  }

  private settleAll(): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const request of pending) request.settle(null);
  }

  private received(message: LinkMessage): void {
    switch (message.type) {
      case 'event':
      case 'queue-event':
      case 'queue-entry':
      case 'push':
        this.handle(message);
        return;
      case 'result':
      case 'user-state':
        this.settle(message.id, message);
        return;
      case 'error':
        if (message.ref !== undefined) this.settle(message.ref, message);
        else this.emit('error', new BusinessError(message.code, message.message));
        return;
    }
  }

  private settle(id: string, message: LinkMessage): void {
    const request = this.pending.get(id);
    if (!request) return;
    this.pending.delete(id);
    request.settle(message);
  }

  private handle(event: BusinessLinkEvent): void {
    const run = (): Promise<Answer> => {
      switch (event.type) {
        case 'event':
          return this.invoke(event);
        case 'queue-event':
          return this.tell(event);
        case 'queue-entry':
          return this.decideEntry(event);
        case 'push':
          return this.sendPush(event);
      }
    };
    const answer = this.ledger.answer(event, run);
    answer.then(
      (ack) => this.connection.send({ type: 'ack', id: event.id, ...ack }),
      (error: unknown) => queueMicrotask(() => {
        throw error; // an 'error' listener of the application threw; the event stays unacknowledged
      }),
    );
  }

  private async tell(message: BusinessQueueEventMessage): Promise<Answer> {
    const { type: _type, ...event } = message;
    try {
      await this.queueCallback?.(event);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.emit('error', new BusinessError(ErrorCode.BUSINESS_UNAVAILABLE, `the queue event callback threw: ${reason}`));
    }
    return {};
  }

  private async sendPush(message: BusinessPushMessage): Promise<Answer> {
    const { type: _type, ...push } = message;
    try {
      await this.pushCallback?.(push);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.emit('error', new BusinessError(ErrorCode.BUSINESS_UNAVAILABLE, `the push callback threw: ${reason}`));
    }
    return {};
  }

  private async decideEntry(message: BusinessQueueEntryMessage): Promise<Answer> {
    const callback = this.entryCallback;
    if (!callback) return { errorCode: 0 };
    let value: unknown;
    try {
      const { customer, queue, flags, param, userStr, at, id } = message;
      value = await callback({ customer, queue, flags, param, userStr, at, eventId: id });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.emit('error', new BusinessError(ErrorCode.BUSINESS_UNAVAILABLE, `the queue entry callback threw: ${reason}`));
      return { error: reason.slice(0, 1000) };
    }
    const errorCode = uint32Schema.safeParse(value);
    if (errorCode.success) return { errorCode: errorCode.data };
    const priority = typeof value === 'object' && value !== null ? customerPrioritySchema.safeParse((value as { priority?: unknown }).priority) : null;
    if (priority?.success) return { errorCode: 0, priority: priority.data };
    const reason = `the queue entry callback returned ${JSON.stringify(value) ?? String(value)}; return 0 to allow, an error code to refuse, or { priority } (0-100)`;
    this.emit('error', new BusinessError(ErrorCode.BUSINESS_UNAVAILABLE, reason));
    return { error: reason.slice(0, 1000) };
  }

  /** Runs the callback and turns what it returns into the ack's answer. */
  private async invoke(event: BusinessEventMessage): Promise<Answer> {
    const decides = event.decide && event.event === VideoCallEvent.REQUEST;
    const callback = this.callback;
    if (!callback) return decides ? { errorCode: 0 } : {};
    let value: unknown;
    try {
      value = await callback(event.event, event.srcUserId, event.tarUserId, event.errorCode, event.flags, event.param, event.userStr, {
        eventId: event.id,
        callId: event.callId,
        at: event.at,
        decide: decides,
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.emit('error', new BusinessError(ErrorCode.BUSINESS_UNAVAILABLE, `the business callback threw: ${reason}`));
      return decides ? { error: reason.slice(0, 1000) } : {};
    }
    if (!decides) return {};
    const errorCode = uint32Schema.safeParse(value);
    if (errorCode.success) return { errorCode: errorCode.data };
    const reason = `the business callback returned ${String(value)} for REQUEST; return 0 to allow the call or an error code to refuse it`;
    this.emit('error', new BusinessError(ErrorCode.BUSINESS_UNAVAILABLE, reason));
    return { error: reason };
  }
}
