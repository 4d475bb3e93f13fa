import { ErrorCode, clientMessageSchema, type AckMessage, type ContactCentreClientMessage, type QueueListMessage } from '@callgate/protocol';
import type { SignalConnection } from './connection.js';
import { CallgateError, notConnected } from './errors.js';

/** A short random prefix that keeps one client instance's request ids apart from another's in the same session. */
export function instancePrefix(): string {
  return Math.random().toString(36).slice(2, 8);
}

/** What answered a contact-centre request: its ack, or for `queues.list` the list. */
export type CentreAnswer = AckMessage | QueueListMessage;

/** A contact-centre message without its id (the requests give it one). */
export type CentreMessage = ContactCentreClientMessage extends infer M ? (M extends { id?: string } ? Omit<M, 'id'> : never) : never;

interface Pending {
  message: { type: string; id: string };
  resolve: (answer: CentreAnswer) => void;
  reject: (error: CallgateError) => void;
}

/**
 * The contact-centre messages a client sends and the answers they wait for (`ack`, `error` with
 * the message's id as `ref`, `queues.list`). Every message is checked against its schema first;
 * after a resume the unanswered ones are sent again (the server applies each id once); a new
 * session or a closed connection rejects them.
 */
export class CentreRequests {
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  /** Ids are applied once per session: a client resuming another instance's session (a reloaded page) must not reuse its ids. */
  private readonly prefix = instancePrefix();
  private sessions = 0;

  constructor(private readonly connection: SignalConnection) {
    connection.on('ack', (id, ack) => this.settle(id, ack));
    connection.on('contact-centre', (message) => {
      if (message.type === 'queues.list') this.settle(message.id, message);
    });
    connection.on('error', (error) => {
      if (error.ref !== undefined) this.fail(error.ref, new CallgateError(error.code, error.message));
    });
    connection.on('welcome', (welcome) => {
      if (welcome.resumed) for (const { message } of this.pending.values()) connection.send(message);
      else if (this.sessions > 0) this.failAll(new CallgateError(ErrorCode.DISCONNECT));
      this.sessions++;
    });
    connection.on('closed', (error) => {
      this.failAll(error ?? notConnected());
      this.sessions = 0;
    });
  }

  /** Sends `fields` with an id; resolves with its answer, rejects with a CallgateError (MALFORMED for a bad field). */
  send(fields: CentreMessage): Promise<CentreAnswer> {
    const id = `q${this.prefix}.${this.nextId++}`;
    const parsed = clientMessageSchema.safeParse({ ...fields, id });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return Promise.reject(new CallgateError(ErrorCode.MALFORMED, issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : undefined));
    }
    const message = parsed.data as { type: string; id: string };
    if (!this.connection.send(message)) return Promise.reject(notConnected());
    return new Promise((resolve, reject) => this.pending.set(id, { message, resolve, reject }));
  }

  private settle(id: string, answer: CentreAnswer): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.resolve(answer);
  }

  private fail(id: string, error: CallgateError): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.reject(error);
  }

  private failAll(error: CallgateError): void {
    for (const id of [...this.pending.keys()]) this.fail(id, error);
  }
}
