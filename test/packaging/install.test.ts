/**
 * The four packages as a user's own app gets them: `npm pack` in the repository, `npm install` of
 * the tarballs in a fresh project in the system's temporary directory (no workspace, no links), and
 * then everything runs from that project: `callgate serve` from the installed server, the README's
 * examples, the demo page the server carries, the browser bundle in Chromium, TypeScript against the
 * installed types. Nothing may resolve back into the repository.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createConnection, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killChildren, repositoryRoot, runNode, startNode, type NodeProcess } from '../support/callgate-process.js';
import { launchChromium } from '../support/chromium.js';
import { openAgent } from '../support/demo-pages.js';
import { expectedTwoClientsOutput, fencedBlock } from '../support/readme.js';

const PACKAGES = ['protocol', 'client', 'business', 'server'] as const;
const BUNDLE_BUDGET_BYTES = 30 * 1024;

let work: string;
let tarballs: string;
let app: string;
let callgate: string;
const pages: Page[] = [];
const servers: Server[] = [];

const installed = (name: string, ...path: string[]): string => join(app, 'node_modules', '@callgate', name, ...path);
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

/** The test runner's environment without what an outer `npm test` put there (npm_*, INIT_CWD) and without CALLGATE_*. */
function outsideEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(npm_|INIT_CWD$|CALLGATE_)/i.test(name)));
}

/** Runs `command args…` in `cwd` to its end; rejects with its output unless it exits 0. */
function mustRun(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: outsideEnv() });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), (output += chunk.toString())));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}

/** Every file under `dir`, relative to it, with `/` separators. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((path) => statSync(join(dir, path)).isFile())
    .map((path) => path.split(sep).join('/'))
    .sort();
}

/** `callgate serve --port 0 …args` from the installed package, in the temporary project. */
async function serveInstalled(args: string[]): Promise<{ process: NodeProcess; url: string; httpUrl: string }> {
  const server = startNode([callgate, 'serve', '--port', '0', ...args], { cwd: app });
  const url = (await server.waitFor(/"url":"(ws:\/\/[^"]+)"/, 'the installed callgate serve to listen', 30_000))[1]!;
  return { process: server, url, httpUrl: url.replace('ws://', 'http://') };
}

async function tokenFor(user: string, secret: string): Promise<string> {
  const result = await runNode([callgate, 'token', '--user', user, '--secret', secret], { cwd: app });
  expect(result.code, result.output).toBe(0);
  return result.stdout.trim();
}

beforeAll(async () => {
  work = realpathSync(mkdtempSync(join(tmpdir(), 'callgate-install-')));
  tarballs = join(work, 'tarballs');
  app = join(work, 'app');
  callgate = join(app, 'node_modules', '.bin', 'callgate');
  mkdirSync(tarballs);
  mkdirSync(app);

  await mustRun('npm', ['pack', '--pack-destination', tarballs, ...PACKAGES.flatMap((name) => ['--workspace', `packages/${name}`])], repositoryRoot);
  const packed = readdirSync(tarballs).sort();
  for (const file of packed) console.log(`packed ${file}: ${kb(statSync(join(tarballs, file)).size)}`);

  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'my-app', private: true, type: 'module', allowScripts: { 'better-sqlite3': true } }, null, 2)}\n`);
  const started = Date.now();
  // @types/node as any TypeScript app has it, for the types check below.
  await mustRun('npm', ['install', ...packed.map((file) => join(tarballs, file)), '@types/node@^20.19', '--prefer-offline', '--no-audit', '--no-fund'], app);
  console.log(`npm install of the tarballs (better-sqlite3 included): ${((Date.now() - started) / 1000).toFixed(0)} s`);
  for (const example of ['two-clients.mjs', 'business-server.mjs']) copyFileSync(join(repositoryRoot, 'examples', example), join(app, example));
}, 25 * 60_000);

afterEach(async () => {
  await Promise.all(pages.splice(0).map((page) => page.close()));
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  await killChildren();
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed packages, installed in a project outside the repository', () => {
  it('are real copies of the tarballs, with their metadata, README and LICENSE, and no tests', () => {
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> };
    for (const name of PACKAGES) {
      const dir = installed(name);
      expect(lstatSync(dir).isSymbolicLink(), `@callgate/${name} is not a link`).toBe(false);
      expect(lock.packages[`node_modules/@callgate/${name}`]?.resolved, name).toMatch(new RegExp(`tarballs/callgate-${name}-\\d+\\.\\d+\\.\\d+\\.tgz$`));
      // One copy of each: the internal ranges resolved to the installed tarballs, not to nested copies.
      expect(existsSync(join(dir, 'node_modules', '@callgate')), `@callgate/${name} has no nested @callgate packages`).toBe(false);

      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, any>;
      expect(pkg, name).toMatchObject({ name: `@callgate/${name}`, license: 'MIT', type: 'module', engines: { node: '>=20.19' } });
      expect(pkg.repository, name).toMatchObject({ type: 'git', url: expect.stringMatching(/^git\+https:\/\//), directory: `packages/${name}` });
      expect(pkg.exports['.'].types, name).toMatch(/\.d\.ts$/);
      for (const [dependency, range] of Object.entries(pkg.dependencies as Record<string, string>)) {
        if (dependency.startsWith('@callgate/')) expect(range, `${name} → ${dependency}`).toMatch(/^\^\d+\.\d+\.\d+$/);
      }

      const files = filesUnder(dir);
      expect(files, name).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
      expect(files.filter((file) => /(^|\/)tests?\/|\.(test|spec)\.|tsbuildinfo/.test(file)), `${name}: no tests, no build info`).toEqual([]);
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8'), name).toMatch(/^MIT License/);
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      expect(readme, name).toMatch(new RegExp(`^# @callgate/${name}\\n`));
      expect(readme, name).toMatch(/^## Install\n\n```sh\nnpm install @callgate\//m);
      expect(readme, name).toMatch(/^## Example\n/m);
    }
    const server = filesUnder(installed('server'));
    expect(server, 'the server carries the demo page').toEqual(expect.arrayContaining(['bin/callgate.js', 'demo/index.html', 'demo/favicon.svg']));
    expect(server.filter((file) => file.startsWith('demo/') && file.endsWith('.map')), 'without source maps').toEqual([]);
    expect(readlinkSync(callgate)).toMatch(/@callgate\/server\/bin\/callgate\.js$/);
  });

  it('resolve every entry point, and their own dependencies, inside the project', async () => {
    const probe = join(app, 'resolve.mjs');
    writeFileSync(
      probe,
      `import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
const where = (url) => realpathSync(fileURLToPath(url));
const paths = {};
for (const name of ['@callgate/protocol', '@callgate/protocol/signing', '@callgate/protocol/connection', '@callgate/client',
  '@callgate/client/browser.min.js', '@callgate/business', '@callgate/server', 'zod', 'ws']) paths[name] = where(import.meta.resolve(name));
for (const from of ['client', 'business', 'server']) {
  const require = createRequire(where(import.meta.resolve('@callgate/' + from + '/package.json')));
  for (const name of ['@callgate/protocol', 'ws']) paths[from + ' → ' + name] = realpathSync(require.resolve(name));
}
const exported = {
  protocol: typeof (await import('@callgate/protocol')).parseClientMessage,
  client: typeof (await import('@callgate/client')).CallClient,
  business: typeof (await import('@callgate/business')).BusinessClient,
  server: typeof (await import('@callgate/server')).startServer,
};
console.log(JSON.stringify({ paths, exported }));
`,
    );
    const result = await runNode([probe], { cwd: app });
    expect(result.code, result.output).toBe(0);
    const { paths, exported } = JSON.parse(result.stdout) as { paths: Record<string, string>; exported: Record<string, string> };
    expect(Object.keys(paths)).toHaveLength(15);
    for (const [name, path] of Object.entries(paths)) {
      expect(path, name).toMatch(new RegExp(`^${app.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/node_modules/`));
      expect(path.startsWith(repositoryRoot), name).toBe(false);
    }
    expect(paths['@callgate/client']).toBe(installed('client', 'dist', 'node.js'));
    expect(paths['@callgate/client/browser.min.js']).toBe(installed('client', 'dist', 'callgate-client.min.js'));
    expect(exported).toEqual({ protocol: 'function', client: 'function', business: 'function', server: 'function' });
  });

  it('type-check a TypeScript app (strict, no skipLibCheck) against the installed types only', async () => {
    writeFileSync(
      join(app, 'app.ts'),
      `import { BusinessClient, verifyWebhook } from '@callgate/business';
import { CallClient, CallFlags, ErrorCode, VideoCallEvent, type Call } from '@callgate/client';
import * as bundle from '@callgate/client/browser.min.js';
import { parseClientMessage } from '@callgate/protocol';
import { ReconnectingConnection } from '@callgate/protocol/connection';
import { createAccessToken } from '@callgate/protocol/signing';
import { startServer, type RunningServer } from '@callgate/server';

const server: RunningServer = await startServer({ port: 0, secret: 'app-secret-at-least-16' });
const token: string = await createAccessToken({ secret: 'app-secret-at-least-16', userId: 'alice', ttlSeconds: 60 });
const client = new CallClient({ url: server.url, token });
const call: Call = client.call('bob', { flags: CallFlags.AUDIO | CallFlags.VIDEO });
call.on('ended', (errorCode: number) => console.log(errorCode === ErrorCode.SUCCESS));
const sent: number = client.videoCallControl(VideoCallEvent.REQUEST, 'bob');
const browserClient: bundle.CallClient = new bundle.CallClient({ url: server.url, token, media: false });
const business = new BusinessClient({ url: server.url, secret: 'business-secret-at-least-16' });
const parsed = parseClientMessage('{}');
export { browserClient, business, parsed, sent, ReconnectingConnection, verifyWebhook };
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023', 'DOM'], types: ['node'], strict: true, skipLibCheck: false, noEmit: true },
        files: ['app.ts'],
      }),
    );
    const tsc = join(repositoryRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await runNode([tsc, '-p', app, '--listFiles'], { cwd: app });
    expect(result.code, result.output).toBe(0);
    const declarations = result.stdout.split('\n').filter((file) => file.includes('@callgate/'));
    expect(declarations.length).toBeGreaterThan(10);
    expect(declarations.filter((file) => !file.startsWith(`${app}/node_modules/@callgate/`))).toEqual([]);
  });

  it('run the README example and the business-server example against `callgate serve` from the installed server', async () => {
    const server = await serveInstalled(['--secret', 'install-secret-at-least-16', '--business-secret', 'install-business-secret-16']);

    const example = await runNode(['two-clients.mjs', await tokenFor('alice', 'install-secret-at-least-16'), await tokenFor('bob', 'install-secret-at-least-16'), server.url], { cwd: app });
    expect(example.code, example.output).toBe(0);
    expect(example.stdout).toBe(expectedTwoClientsOutput(example.stdout));

    const business = startNode(['business-server.mjs'], {
      cwd: app,
      env: { CALLGATE_URL: server.url, CALLGATE_BUSINESS_SECRET: 'install-business-secret-16', DO_NOT_DISTURB: 'carol', MAX_CALL_SECONDS: '0.1' },
    });
    await business.waitFor(/business server connected/, 'the business server to connect');
    const refused = await runNode(['two-clients.mjs', await tokenFor('alice', 'install-secret-at-least-16'), await tokenFor('carol', 'install-secret-at-least-16'), server.url], { cwd: app });
    expect(refused.code, refused.output).toBe(0);
    expect(refused.stdout, 'carol never rang').toBe(fencedBlock('docs/business.md', 'The first call is refused before'));
    const limited = await runNode(['two-clients.mjs', await tokenFor('alice', 'install-secret-at-least-16'), await tokenFor('bob', 'install-secret-at-least-16'), server.url], { cwd: app });
    expect(limited.code, limited.output).toBe(0);
    expect(limited.stdout).toBe(expectedTwoClientsOutput(limited.stdout, 'docs/business.md', 'The second one starts and is ended by the business server'));
    await business.waitFor(/hung up alice and bob after 0\.1 s \(result 0\)/, 'the business server to log the hang-up');
  });

  it('serve the demo page the server carries with --dev: its assets, /favicon.ico, and an agent signs in on it in Chromium', async () => {
    const server = await serveInstalled(['--dev']);
    const html = await (await fetch(`${server.httpUrl}/`)).text();
    expect(html).toMatch(/<title>Callgate/);
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect((await fetch(`${server.httpUrl}/${script}`)).status).toBe(200);
    const favicon = await fetch(`${server.httpUrl}/favicon.ico`);
    expect(favicon.status).toBe(200);
    expect(favicon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);

    const chromium = await launchChromium();
    try {
      const failed: string[] = [];
      chromium.context.on('response', (response) => {
        if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
      });
      pages.push(await openAgent(chromium.context, server.httpUrl, 'Anna'));
      expect(failed, 'every request of the page succeeds').toEqual([]);
    } finally {
      await chromium.close();
    }
  });

  it('include the browser bundle: one ES module under 30 KB gzipped, and the README page calls an agent with it in Chromium', async () => {
    const bundlePath = installed('client', 'dist', 'callgate-client.min.js');
    const code = readFileSync(bundlePath);
    const gzipped = gzipSync(code).length;
    console.log(`callgate-client.min.js: ${kb(code.length)}, ${kb(gzipped)} gzipped`);
    expect(gzipped).toBeLessThan(BUNDLE_BUDGET_BYTES);
    expect(code.toString(), 'self-contained: imports nothing').not.toMatch(/\bfrom\s*["']|\bimport\s*["']|\brequire\s*\(/);

    // The page of the READMEs, served from its own origin next to the bundle it imports.
    const pageHtml = fencedBlock('packages/client/README.md', '## In a page without a bundler', 'html');
    expect(fencedBlock('README.md', '### In a page without a bundler', 'html'), 'the root README shows the same page').toBe(pageHtml);
    expect(pageHtml.split('\n').filter(Boolean).length).toBeLessThanOrEqual(12);
    let currentPage = '';
    const site = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      if (path === '/callgate-client.min.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(code);
      else if (path === '/') response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(currentPage);
      else response.writeHead(404).end();
    });
    servers.push(site);
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;

    const server = await serveInstalled(['--secret', 'page-secret-at-least-16', '--allow-origin', origin]);
    expect(pageHtml).toContain("'ws://127.0.0.1:8080'");
    currentPage = pageHtml.replace("'ws://127.0.0.1:8080'", `'${server.url}'`);

    // agent-7, a Node client of the installed SDK, accepts and hangs up when told to.
    writeFileSync(
      join(app, 'agent.mjs'),
      `import { createInterface } from 'node:readline';
import { CallClient } from '@callgate/client';
const [url, token] = process.argv.slice(2);
const agent = new CallClient({ url, token });
agent.on('incoming', (call) => {
  console.log('incoming from ' + call.peer + ': ' + call.userStr);
  call.on('started', (roomId) => console.log('started in room ' + roomId));
  call.on('ended', (errorCode) => { console.log('ended ' + errorCode); agent.close(); });
  createInterface({ input: process.stdin }).once('line', () => call.hangup());
  void call.accept();
});
await agent.connect();
console.log('agent-7 is online');
`,
    );
    const agent = startNode(['agent.mjs', server.url, await tokenFor('agent-7', 'page-secret-at-least-16')], { cwd: app });
    await agent.waitFor(/agent-7 is online/, 'agent-7 to connect');

    const chromium = await launchChromium();
    try {
      const page = await chromium.context.newPage();
      pages.push(page);
      await page.goto(`${origin}/#token=${await tokenFor('customer-1', 'page-secret-at-least-16')}`);
      // A string, so that vitest leaves this import() alone: the page's own dynamic import of the file.
      const exported = await page.evaluate(
        "import('./callgate-client.min.js').then((m) => ({ CallClient: typeof m.CallClient, VideoCallEvent: m.VideoCallEvent }))",
      );
      expect(exported).toEqual({ CallClient: 'function', VideoCallEvent: { REQUEST: 1, REPLY: 2, START: 3, FINISH: 4 } });

      await agent.waitFor(/incoming from customer-1: order #1234/, 'the call to reach agent-7');
      const roomId = (await agent.waitFor(/started in room (\d+)/, 'the call to start'))[1]!;
      await page.locator('#status').filter({ hasText: `talking in room ${roomId}` }).waitFor();
      agent.child.stdin.write('hang up\n');
      await page.locator('#status').filter({ hasText: 'call over (0)' }).waitFor();
      await agent.waitFor(/ended 0/, 'agent-7 to see the end');
    } finally {
      await chromium.close();
    }
  });

  it('stop the server when the PID of `npx callgate serve … &` is killed, and free its port', async () => {
    // A marker in the command line, so that a server left running by a failure can be found and stopped.
    const marker = join(app, 'data', `npx-${process.pid}.db`);
    const npx = spawn('npx', ['callgate', 'serve', '--port', '0', '--secret', 'npx-secret-at-least-16', '--db', marker], { cwd: app, env: outsideEnv() });
    let output = '';
    const seen = new Promise<string>((resolve) => {
      npx.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const url = /"url":"ws:\/\/127\.0\.0\.1:(\d+)"/.exec(output)?.[1];
        if (url) resolve(url);
      });
    });
    npx.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // The pipes close once every process holding them is gone: npx, its shell and the server.
    const closed = new Promise<void>((resolve) => npx.once('close', () => resolve()));
    const port = Number(await seen);

    npx.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([closed.then(() => 'gone'), new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still running'), 30_000)))]);
    clearTimeout(timer);
    if (outcome !== 'gone') stopOrphan(marker);
    expect(outcome, `the server outlived npx:\n${output}`).toBe('gone');
    expect(output).toMatch(/stopped; every call record is written/);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => (socket.destroy(), resolve(false)));
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
    });
    expect(refused, `port ${port} is free`).toBe(true);
  });
});

/** Stops (by its PID) the process whose command line holds `marker`, if one is left. */
function stopOrphan(marker: string): void {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(marker)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
}
