import { CallClient } from '@callgate/client';
import { agentView } from './agent-view.js';
import { customerView } from './customer-view.js';
import { displayName, h, show, slug } from './dom.js';
import { devLogin, embeddedToken, loadConfig, serverUrl, tokenClaims } from './identity.js';

const root = document.getElementById('app')!;
const who = document.getElementById('who')!;

/** Connects as the token's user; the client is on `window.callgate` for the console. */
async function connect(token: string | (() => Promise<string>)): Promise<CallClient> {
  const client = new CallClient({ url: serverUrl(), token });
  (window as unknown as { callgate: CallClient }).callgate = client;
  client.on('connection-state', (state) => document.body.setAttribute('data-connection', state));
  await client.connect();
  return client;
}

function fail(error: unknown): void {
  show(root, h('section', { class: 'card' }, h('p', { class: 'status error', 'data-testid': 'status' }, `Could not connect: ${(error as Error).message}`)));
}

async function asCustomer(): Promise<void> {
  const userId = `customer-${Math.random().toString(36).slice(2, 10)}`;
  const client = await connect(() => devLogin(userId));
  who.textContent = 'Customer';
  customerView(root, client);
}

function agentSignIn(): void {
  const name = h('input', { id: 'agent-name', 'data-testid': 'agent-name', autocomplete: 'name', maxlength: 40, placeholder: 'e.g. Anna' });
  const button = h('button', { class: 'primary', 'data-testid': 'sign-in', type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'card' },
    h('h1', {}, 'Agent sign-in'),
    h('label', { for: 'agent-name' }, 'Your name'),
    name,
    h('div', { class: 'actions' }, button),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    button.disabled = true;
    const userId = `agent-${slug(name.value)}`;
    const token = (): Promise<string> => devLogin(userId, 'agent');
    connect(token)
      .then((client) => {
        who.textContent = `Agent ${displayName(userId)}`;
        agentView(root, client, displayName(userId), token);
      })
      .catch(fail);
  });
  show(root, form);
  name.focus();
}

function chooseRole(): void {
  const customer = h('button', { class: 'primary', 'data-testid': 'role-customer' }, 'I am a customer');
  const agent = h('button', { class: 'secondary', 'data-testid': 'role-agent' }, 'I am an agent');
  customer.addEventListener('click', () => {
    location.hash = 'customer';
  });
  agent.addEventListener('click', () => {
    location.hash = 'agent';
  });
  show(
    root,
    h(
      'section',
      { class: 'card' },
      h('h1', {}, 'Welcome'),
      h('p', {}, 'Open this page in two tabs: be a customer in one and an agent in the other.'),
      h('div', { class: 'actions stacked' }, customer, agent),
    ),
  );
}

function route(): void {
  const view = location.hash.slice(1);
  if (view === 'customer') asCustomer().catch(fail);
  else if (view === 'agent') agentSignIn();
  else chooseRole();
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
  const client = await connect(token);
  if (claims.role === 'agent') {
    who.textContent = `Agent ${displayName(claims.userId)}`;
    agentView(root, client, displayName(claims.userId), () => Promise.resolve(token));
  } else {
    who.textContent = 'Customer';
    customerView(root, client);
  }
}

main().catch(fail);
