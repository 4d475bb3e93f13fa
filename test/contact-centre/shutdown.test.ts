/** A single node that shuts down closes its queues: the waiting customers hear it before the socket goes. */
import { describe, expect, it } from 'vitest';
import { serversPerTest } from '../support/servers.js';
import { WireUser } from '../support/wire-user.js';

const tests = serversPerTest<WireUser>();

describe('shutting down one node', () => {
  it('ends the entries of the customers still waiting as closed', async () => {
    const server = await tests.start({ queues: [{ id: 'billing', name: 'Billing' }] });
    const customer = await WireUser.connect(server, 'late-customer');
    tests.opened.push(customer);
    await customer.enter('billing');
    await customer.entryState('waiting');
    const closing = server.close();
    expect(await customer.entryState('ended')).toMatchObject({ outcome: 'closed' });
    await closing;
  });
});
