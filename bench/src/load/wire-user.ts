import { performance } from 'node:perf_hooks';
import type { EventMessage, PresenceEntry } from '@callgate/protocol';
import WebSocket from 'ws';

const zeroMask = (mask: Buffer): void => {
  mask.fill(0);
};

export type Problem = 'error' | 'closed' | 'seq';

/**
 * A lean user on the real wire format: auth with a token, controls out, numbered events in.
 * No resume, no heartbeat of its own (ws answers server pings): just what the load needs.
 */
export class WireUser {
  onEvent: (event: EventMessage, at: number) => void = () => {};
  onProblem: (problem: Problem, detail: string) => void = () => {};
  private socket: WebSocket | undefined;
  private lastSeq = 0;
  private leaving = false;
  private presenceWaiter: ((users: PresenceEntry[]) => void) | undefined;

  constructor(
    readonly userId: string,
    private readonly token: string,
  ) {}

  /** Opens the socket, authenticates and resolves on `welcome`. */
  connect(url: string, localAddress?: string): Promise<void> {
    const socket = new WebSocket(`${url}/ws`, {
      perMessageDeflate: false,
      // A zero mask lets ws skip XOR-ing each frame: it saves generator CPU and changes nothing
      // for the server, which unmasks every frame the same way.
      generateMask: zeroMask,
      skipUTF8Validation: true,
      handshakeTimeout: 60_000,
      ...(localAddress ? { localAddress } : {}),
    });
    this.socket = socket;
    return new Promise<void>((resolve, reject) => {
      let welcomed = false;
      socket.on('open', () => socket.send(JSON.stringify({ type: 'auth', token: this.token })));
      socket.on('message', (data) => {
        const at = performance.now();
        const message = JSON.parse(data.toString()) as { type: string; userId?: string; name?: string; message?: string };
        if (welcomed) {
          this.receive(message, at);
        } else if (message.type === 'welcome' && message.userId === this.userId) {
          welcomed = true;
          resolve();
        } else {
          reject(new Error(`${this.userId}: expected welcome, got ${JSON.stringify(message)}`));
          socket.terminate();
        }
      });
      socket.on('error', (error) => {
        if (!welcomed) reject(error);
        else this.onProblem('error', error.message);
      });
      socket.on('close', (code) => {
        if (!welcomed) reject(new Error(`${this.userId}: closed (${code}) before welcome`));
        else if (!this.leaving) this.onProblem('closed', `socket closed with ${code}`);
      });
    });
  }

  control(event: number, peer: string, errorCode: number, flags = 0, param = 0, userStr = ''): void {
    this.socket?.send(JSON.stringify({ type: 'control', event, userId: peer, errorCode, flags, param, userStr }));
  }

  /** Watches these users (at most 100) and resolves with the server's snapshot of their presence. */
  presenceSnapshot(userIds: string[]): Promise<PresenceEntry[]> {
    return new Promise((resolve) => {
      this.presenceWaiter = resolve;
      this.socket?.send(JSON.stringify({ type: 'presence.watch', users: userIds }));
    });
  }

  close(): void {
    this.leaving = true;
    this.socket?.terminate();
  }

  private receive(message: { type: string; name?: string; message?: string; snapshot?: boolean; users?: PresenceEntry[] }, at: number): void {
    if (message.type === 'presence') {
      if (message.snapshot && this.presenceWaiter) this.presenceWaiter(message.users ?? []);
      if (message.snapshot) this.presenceWaiter = undefined;
    } else if (message.type === 'event') {
      const event = message as EventMessage;
      if (event.seq !== this.lastSeq + 1) this.onProblem('seq', `${this.userId}: seq ${event.seq} after ${this.lastSeq}`);
      this.lastSeq = event.seq;
      this.onEvent(event, at);
    } else if (message.type === 'error') {
      this.onProblem('error', `${message.name}: ${message.message}`);
    }
  }
}
