import { CallClient, type QueueChoice } from '@callgate/client';
import { agentPage } from './agent/agent-page.js';
import { agentSignIn } from './agent/agent-sign-in.js';
import { askToNotify } from './agent/offer-card.js';
import { followPeerState } from './call/peer-state.js';
import { unlock } from './call/sounds.js';
import { customerPage } from './customer/customer-page.js';
import { displayName, h, show } from './dom.js';
import { cachedToken, devLogin, embeddedToken, loadConfig, serverUrl, tokenClaims } from './identity.js';
import { landing } from './landing.js';
import { wallboard } from './supervisor/wallboard.js';
import { recall, remember, rememberOnLeave, signOut, type TabKind, type TabMemory } from './tab-session.js';

const root = document.getElementById('app')!;
const who = document.getElementById('who')!;
const net = document.getElementById('net')!;

/**
 * Connects as the token's user; after a reload the SDK resumes the tab's session by itself. The
 * client is on `window.callgate` for the console.
 */
async function connect(token: string | (() => Promise<string>)): Promise<CallClient> {
  const client = new CallClient({ url: serverUrl(), token });
  (window as unknown as { callgate: CallClient }).callgate = client;
  followPeerState(client);
  client.on('connection-state', (state) => {
    document.body.setAttribute('data-connection', state);
    document.body.classList.toggle('reconnecting', state === 'reconnecting');
    net.textContent = state === 'reconnecting' ? 'Reconnecting…' : '';
  });
  await client.connect();
  return client;
}

function fail(error: unknown): void {
  show(root, h('section', { class: 'card' }, h('p', { class: 'status error', 'data-testid': 'status', role: 'alert' }, `Could not connect: ${(error as Error).message}`)));
}

function signedIn(kind: TabKind, memory: TabMemory): void {
  rememberOnLeave(kind, () => memory);
  remember(kind, memory);
}

async function asCustomer(): Promise<void> {
  const memory: TabMemory = recall('customer') ?? { userId: `customer-${Math.random().toString(36).slice(2, 10)}` };
  const token = cachedToken(() => devLogin(memory.userId));
  const client = await connect(token);
  signedIn('customer', memory);
  who.textContent = 'Customer';
  await customerPage(root, client, { ...(memory.card ? { card: memory.card } : {}), setCard: (card) => (memory.card = card) });
}

/** Lists the queues before sign-in, as a guest (dev mode: agents choose their topics). */
async function queuesForSignIn(): Promise<QueueChoice[]> {
  const guest = new CallClient({ url: serverUrl(), token: await devLogin(`guest-${Math.random().toString(36).slice(2, 10)}`), media: false });
  try {
    await guest.connect();
    return await guest.listQueues();
  } finally {
    guest.close();
  }
}

async function startAgent(memory: TabMemory): Promise<void> {
  const token = cachedToken(() => devLogin(memory.userId, 'agent', memory.queues));
  const client = await connect(token);
  signedIn('agent', memory);
  who.textContent = `Agent ${displayName(memory.userId)}`;
  await agentPage(root, client, token, () => {
    // Leaving for good: the server ends the session at once (no grace period), the tab forgets the agent.
    signOut('agent');
    sessionStorage.removeItem('callgate.agent.card');
    client.close();
    location.reload();
  });
}

async function asAgent(): Promise<void> {
  const saved = recall('agent');
  if (saved) return startAgent(saved);
  const queues = await queuesForSignIn();
  show(
    root,
    agentSignIn(queues, (userId, chosen) => {
      unlock();
      askToNotify();
      startAgent({ userId, queues: chosen }).catch(fail);
    }),
  );
}

async function asSupervisor(): Promise<void> {
  const memory: TabMemory = recall('supervisor') ?? { userId: `supervisor-${Math.random().toString(36).slice(2, 8)}` };
  const token = cachedToken(() => devLogin(memory.userId, 'supervisor'));
  const client = await connect(token);
  remember('supervisor', memory);
  who.textContent = 'Supervisor';
  await wallboard(root, client, token);
}

function route(): void {
  const view = location.hash.slice(1);
  document.body.dataset.page = view || 'landing';
  if (view === 'customer') asCustomer().catch(fail);
  else if (view === 'agent') asAgent().catch(fail);
  else if (view === 'supervisor') asSupervisor().catch(fail);
  else show(root, landing());
}

async function main(): Promise<void> {
  const config = await loadConfig();
  if (config.devLogin) {
    window.addEventListener('hashchange', () => location.reload());
    route();
    return;
  }
  // Production: the embedding application signs the user in and hands over a token.
  show(root, h('section', { class: 'card' }, h('p', { class: 'status', 'data-testid': 'status' }, 'Waiting for your application to sign you in…')));
  const token = await embeddedToken();
  const claims = tokenClaims(token);
  const fixed = (): Promise<string> => Promise.resolve(token);
  const client = await connect(token);
  if (claims.role === 'agent') {
    document.body.dataset.page = 'agent';
    who.textContent = `Agent ${displayName(claims.userId)}`;
    await agentPage(root, client, fixed);
  } else if (claims.role === 'supervisor') {
    document.body.dataset.page = 'supervisor';
    who.textContent = 'Supervisor';
    await wallboard(root, client, fixed);
  } else {
    document.body.dataset.page = 'customer';
    who.textContent = 'Customer';
    await customerPage(root, client, { setCard: () => {} });
  }
}

main().catch(fail);
