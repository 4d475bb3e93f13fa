/**
 * The reconnect lifecycle both SDKs share, over sockets the test opens and closes by hand
 * (test/integration covers it on real servers through each SDK).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CallgateError, ErrorCode, type ErrorMessage } from '../src/index.js';
import { ReconnectingConnection, type ConnectionState } from '../src/connection.js';

interface TestWelcome {
  heartbeat: { intervalMs: number; timeoutMs: number };
}

class FakeSocket {
  readyState = 1;
  readonly sent: string[] = [];
  closedWith: [number, string] | null = null;
  terminated = false;
  send(data: string): void {
    this.sent.push(data);
  }
  close(code: number, reason: string): void {
    this.closedWith = [code, reason];
  }
}

interface TestEvents {
  state: (state: ConnectionState) => void;
  welcome: (welcome: TestWelcome) => void;
  closed: (error: CallgateError | null) => void;
}

class TestConnection extends ReconnectingConnection<TestWelcome, FakeSocket, CallgateError, TestEvents> {
  readonly sockets: FakeSocket[] = [];
  readonly states: ConnectionState[] = [];
  beats = 0;

  constructor() {
    super({ endpoint: 'ws://test', reconnect: { initialDelayMs: 100, maxDelayMs: 100, jitter: 0 }, failure: CallgateError, party: 'test' });
    this.on('state', (state) => this.states.push(state));
  }

  get current(): FakeSocket {
    const socket = this.sockets.at(-1);
    if (!socket) throw new Error('no socket opened');
    return socket;
  }

  welcomeOn(socket: FakeSocket): void {
    if (this.heard(socket)) this.welcomed({ heartbeat: { intervalMs: 1000, timeoutMs: 2500 } });
  }

  refuseOn(socket: FakeSocket, refusal: ErrorMessage): void {
    if (this.heard(socket)) this.refusal = refusal;
  }

  closeFromServer(socket: FakeSocket, code: number): void {
    this.socketClosed(socket, code, 'server reason');
  }

  close(): void {
    this.stop(null);
  }

  send(message: object): boolean {
    return this.sendJson(message);
  }

  protected override connect(): FakeSocket {
    const socket = new FakeSocket();
    this.sockets.push(socket);
    return socket;
  }

  protected override detach(): void {}

  protected override terminate(socket: FakeSocket): void {
    socket.terminated = true;
  }

  protected override finalError(code: number, reason: string, refusal: ErrorMessage | null): CallgateError | null {
    return code === 4001 ? new CallgateError(ErrorCode.UNAUTHORIZED, refusal?.message ?? reason) : null;
  }

  protected override connectError(code: number): CallgateError {
    return new CallgateError(ErrorCode.NOT_CONNECTED, `close code ${code}`);
  }

  protected override beat(): void {
    this.beats++;
  }
}

describe('ReconnectingConnection', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('resolves open() with the welcome, and again at once while connected', async () => {
    const connection = new TestConnection();
    const opened = connection.open();
    connection.welcomeOn(connection.current);
    const welcome = await opened;
    expect(await connection.open()).toBe(welcome);
    expect(connection.sockets).toHaveLength(1);
    expect(connection.states).toEqual(['connecting', 'connected']);
  });

  it('does not retry a first connect that fails, and says why', async () => {
    const connection = new TestConnection();
    const opened = connection.open();
    connection.closeFromServer(connection.current, 1006);
    await expect(opened).rejects.toMatchObject({ code: ErrorCode.NOT_CONNECTED, message: 'close code 1006' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(connection.sockets).toHaveLength(1);
    expect(connection.state).toBe('disconnected');
  });

  it('reconnects after a drop with the policy delay, and gives up on a final close with the refusal', async () => {
    const connection = new TestConnection();
    const closed = new Promise<CallgateError | null>((resolve) => connection.on('closed', resolve));
    const opened = connection.open();
    connection.welcomeOn(connection.current);
    await opened;
    connection.closeFromServer(connection.current, 1006);
    expect(connection.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(99);
    expect(connection.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(connection.sockets).toHaveLength(2);
    connection.refuseOn(connection.current, { type: 'error', code: ErrorCode.UNAUTHORIZED, name: 'UNAUTHORIZED', message: 'token revoked' });
    connection.closeFromServer(connection.current, 4001);
    expect(await closed).toMatchObject({ code: ErrorCode.UNAUTHORIZED, message: 'token revoked' });
    expect(connection.states).toEqual(['connecting', 'connected', 'reconnecting', 'disconnected']);
  });

  it('beats while the server is heard, and drops a server gone silent to reconnect', async () => {
    const connection = new TestConnection();
    const opened = connection.open();
    const first = connection.current;
    connection.welcomeOn(first);
    await opened;
    await vi.advanceTimersByTimeAsync(2000);
    expect(connection.beats).toBe(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(first.terminated).toBe(true);
    expect(connection.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(100);
    expect(connection.sockets).toHaveLength(2);
  });

  it('sends JSON only while connected on an open socket', async () => {
    const connection = new TestConnection();
    const opened = connection.open();
    const socket = connection.current;
    expect(connection.send({ type: 'ping' })).toBe(false);
    connection.welcomeOn(socket);
    await opened;
    expect(connection.send({ type: 'ping' })).toBe(true);
    socket.readyState = 2;
    expect(connection.send({ type: 'ping' })).toBe(false);
    socket.readyState = 1;
    connection.closeFromServer(socket, 1006);
    expect(connection.send({ type: 'ping' })).toBe(false);
    expect(socket.sent).toEqual(['{"type":"ping"}']);
  });

  it('closes the socket with the party\'s reason and rejects a pending open()', async () => {
    const connection = new TestConnection();
    const opened = connection.open();
    const socket = connection.current;
    connection.close();
    await expect(opened).rejects.toMatchObject({ code: ErrorCode.NOT_CONNECTED, message: 'closed before connecting' });
    expect(socket.closedWith).toEqual([1000, 'test closed']);
    expect(connection.state).toBe('disconnected');
  });
});
