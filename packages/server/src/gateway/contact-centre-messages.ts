import { ErrorCode, type ClientMessage, type EntryView, type Queue, type ServerMessage } from '@callgate/protocol';
import type { QueueControl, Switchboard } from '../switchboard.js';

/** The messages of the contact centre (docs/protocol.md, "Contact centre"). */
export type ContactCentreMessage = Extract<
  ClientMessage,
  { type: 'queue.enter' | 'queue.leave' | 'agent.status' | 'agent.next' | 'agent.wrap-up.end' | 'call.transfer' | 'call.rate' | 'queues.list' | 'queues.watch' }
>;

export const isContactCentreMessage = (message: ClientMessage): message is ContactCentreMessage =>
  /^(queue|agent|queues)\.|^call\.(transfer|rate)$/.test(message.type);

/** A customer's rating of a call: 0 when taken, or the code that says why not. */
export interface CallRatings {
  rate(rating: { callId: string; customer: string; score: number; comment: string }): Promise<number>;
}

/** Who watches the queues live (supervisors), fed by the board of this node. */
export interface QueueWatchers {
  watch(watcher: QueueWatcher): Promise<void>;
  unwatch(watcher: QueueWatcher): void;
  /** How many customers wait in each of these queues now. */
  waiting(queueIds: readonly string[]): Promise<Map<string, number>>;
}

export interface QueueWatcher {
  send(message: ServerMessage): void;
}

/** Follows the entries of the customers connected here, to tell them where they stand. */
export interface PositionTracker {
  seen(userId: string, entry: EntryView): void;
  connected(userId: string, entryId: string): Promise<void>;
  left(userId: string): void;
}

/** What the contact-centre messages need from the server. */
export interface ContactCentreHost {
  calls: Pick<Switchboard, 'queueControl'>;
  queues: { list(): Queue[] };
  ratings: CallRatings;
  board: QueueWatchers;
  positions: PositionTracker;
}

/** The connection a message came on. */
export interface SessionSocket extends QueueWatcher {
  readonly userId: string;
  readonly sessionId: string;
  readonly role: string | undefined;
  sendError(code: number, message?: string, ref?: string): void;
}

/** Handles one contact-centre message of an authenticated user. */
export async function handleContactCentre(host: ContactCentreHost, socket: SessionSocket, message: ContactCentreMessage): Promise<void> {
  switch (message.type) {
    case 'queues.list': {
      const queues = host.queues.list();
      // Customers choose a topic; agents and supervisors also see how many wait in each.
      const staff = socket.role === 'agent' || socket.role === 'supervisor';
      const waiting = staff ? await host.board.waiting(queues.map((queue) => queue.id)) : null;
      socket.send({
        type: 'queues.list',
        id: message.id,
        queues: queues.map((queue) => ({
          id: queue.id,
          name: queue.name,
          mode: queue.mode,
          offerTimeout: queue.offerTimeout,
          wrapUp: queue.wrapUp,
          ...(waiting ? { waiting: waiting.get(queue.id) ?? 0 } : {}),
        })),
      });
      return;
    }
    case 'queues.watch':
      if (message.stop) {
        host.board.unwatch(socket);
      } else if (socket.role === 'supervisor') {
        await host.board.watch(socket);
      } else {
        socket.sendError(ErrorCode.FORBIDDEN, 'only a supervisor (a token with role "supervisor") may watch the queues', message.id);
      }
      return;
    case 'call.rate': {
      const code = await host.ratings.rate({ callId: message.callId, customer: socket.userId, score: message.score, comment: message.comment });
      answer(socket, message.id, code === 0 ? { ok: true } : { ok: false, code });
      return;
    }
    default: {
      const control = controlOf(socket, message);
      const { result, ack } = await host.calls.queueControl(control);
      answer(socket, message.id, result, ack);
    }
  }
}

function controlOf(socket: SessionSocket, message: Exclude<ContactCentreMessage, { type: 'queues.list' | 'queues.watch' | 'call.rate' }>): QueueControl {
  const session = { from: socket.userId, sessionId: socket.sessionId, ...(message.id !== undefined ? { id: message.id } : {}) };
  switch (message.type) {
    case 'queue.enter':
      return { kind: 'enter-queue', ...session, queue: message.queue, flags: message.flags, param: message.param, userStr: message.userStr };
    case 'queue.leave':
      return { kind: 'leave-queue', ...session };
    case 'agent.status':
      return { kind: 'agent-status', ...session, status: message.status, ...(message.reason !== undefined ? { reason: message.reason } : {}) };
    case 'agent.next':
      return { kind: 'next-customer', ...session };
    case 'agent.wrap-up.end':
      return {
        kind: 'end-wrap-up',
        ...session,
        ...(message.disposition !== undefined ? { disposition: message.disposition } : {}),
        ...(message.notes !== undefined ? { notes: message.notes } : {}),
      };
    case 'call.transfer':
      return {
        kind: 'transfer',
        ...session,
        ...(message.queue !== undefined ? { queue: message.queue } : {}),
        ...(message.agent !== undefined ? { agent: message.agent } : {}),
      };
  }
}

function answer(
  socket: SessionSocket,
  id: string | undefined,
  result: { ok: true } | { ok: false; code: number; message?: string },
  ack: { entryId?: string; callId?: string; empty?: boolean } = {},
): void {
  if (!result.ok) socket.sendError(result.code, result.message, id);
  else if (id !== undefined) socket.send({ type: 'ack', id, ...ack });
}
