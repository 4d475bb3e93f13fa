import type { QueueDefinitionInput } from '@callgate/protocol';

/**
 * The queues `callgate serve --dev` starts with when no `--queues` file is given, so that the demo
 * pages (customer, agent, supervisor) work after `npm start`: two queues the server offers
 * (`auto`) and one whose agents take the next customer themselves (`manual`).
 */
export const devQueues: readonly ({ id: string } & QueueDefinitionInput)[] = [
  { id: 'billing', name: 'Billing and payments', priority: 0, offerTimeout: 20, wrapUp: 30, serviceLevel: 30 },
  { id: 'tech', name: 'Technical support', priority: 0, offerTimeout: 20, wrapUp: 30, serviceLevel: 60 },
  { id: 'orders', name: 'Orders and returns', mode: 'manual', wrapUp: 30, serviceLevel: 60 },
];
