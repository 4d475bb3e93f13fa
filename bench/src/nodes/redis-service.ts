import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisProbe } from './redis-probe.js';

/** A throw-away redis-server for a cluster target, on a free port, keeping nothing on disk. */
export class RedisService {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
  ) {}

  static async start(): Promise<RedisService> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'callgate-bench-redis-'));
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: 'ignore',
    });
    child.once('error', () => {});
    for (let i = 0; i < 200; i++) {
      if (await answers(port)) return new RedisService(child, dir, `redis://127.0.0.1:${port}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error('redis-server did not start (is it installed? apt-get install -y redis-server)');
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** CPU time redis-server has used so far (INFO cpu: used_cpu_user + used_cpu_sys), µs. */
  async cpuMicros(): Promise<number> {
    const probe = await RedisProbe.connect(this.url);
    try {
      const cpu = await probe.info('cpu');
      return Math.round((Number(cpu.get('used_cpu_user') ?? 0) + Number(cpu.get('used_cpu_sys') ?? 0)) * 1e6);
    } finally {
      probe.close();
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}
