import { EventEmitter } from 'eventemitter3';
import { ErrorCode, type AgentFigures, type ContactCentreServerMessage, type ErrorMessage, type QueueFigures, type QueuesMessage } from '@callgate/protocol';
import type { SignalConnection } from './connection.js';
import { CallgateError } from './errors.js';

export interface QueueBoardEvents {
  /** The picture changed: a snapshot (after each (re)connect) or changes of some queues and agents. */
  update: (board: QueueBoard) => void;
  /** The watch was refused (FORBIDDEN: the token's role is not "supervisor"); the board is closed. */
  error: (error: CallgateError) => void;
}

/**
 * A supervisor's live picture of the queues and their agents: the server's snapshot, then what
 * changed (at most twice a second). The watch is sent again after every reconnect, as the server
 * forgets it with the socket, and each new snapshot replaces the picture.
 */
export class QueueBoard extends EventEmitter<QueueBoardEvents> {
  /** Every queue's live figures, by queue id. */
  readonly queues = new Map<string, QueueFigures>();
  /** Every connected agent (and those in their grace period) of those queues, by user id. */
  readonly agents = new Map<string, AgentFigures>();
  /** Resolves at the first snapshot; rejects with a CallgateError (FORBIDDEN, NOT_CONNECTED) when the watch fails. */
  readonly ready: Promise<void>;
  private open = true;
  private settle: { resolve(): void; reject(error: CallgateError): void } | null = null;
  private readonly onMessage = (message: ContactCentreServerMessage): void => {
    if (message.type === 'queues') this.apply(message);
  };
  private readonly onError = (error: ErrorMessage): void => {
    // The watch has no id: a FORBIDDEN without `ref` is the refusal of the watch.
    if (error.code === ErrorCode.FORBIDDEN && error.ref === undefined) this.fail(new CallgateError(error.code, error.message));
  };
  private readonly onWelcome = (): void => this.send();
  private readonly onClosed = (error: CallgateError | null): void => this.settle?.reject(error ?? new CallgateError(ErrorCode.NOT_CONNECTED));

  constructor(private readonly connection: SignalConnection | null) {
    super();
    this.ready = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.ready.catch(() => {});
    if (!connection) return;
    connection.on('contact-centre', this.onMessage);
    connection.on('error', this.onError);
    connection.on('welcome', this.onWelcome);
    connection.on('closed', this.onClosed);
    if (connection.state === 'connected') this.send();
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Applies a `queues` message (a snapshot replaces everything). */
  apply(message: Pick<QueuesMessage, 'snapshot' | 'queues' | 'agents' | 'gone'>): void {
    if (!this.open) return;
    if (message.snapshot) {
      this.queues.clear();
      this.agents.clear();
    }
    for (const queue of message.queues) this.queues.set(queue.id, queue);
    for (const agent of message.agents) this.agents.set(agent.userId, agent);
    for (const gone of message.gone) this.agents.delete(gone);
    if (message.snapshot) {
      this.settle?.resolve();
      this.settle = null;
    }
    this.emit('update', this);
  }

  /** Stops watching. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.connection?.send({ type: 'queues.watch', stop: true });
    this.detach();
    this.settle?.reject(new CallgateError(ErrorCode.NOT_CONNECTED, 'the board was closed'));
    this.settle = null;
  }

  private fail(error: CallgateError): void {
    this.open = false;
    this.detach();
    this.settle?.reject(error);
    this.settle = null;
    this.emit('error', error);
  }

  private send(): void {
    if (this.open) this.connection?.send({ type: 'queues.watch', stop: false });
  }

  private detach(): void {
    this.connection?.off('contact-centre', this.onMessage);
    this.connection?.off('error', this.onError);
    this.connection?.off('welcome', this.onWelcome);
    this.connection?.off('closed', this.onClosed);
  }
}
