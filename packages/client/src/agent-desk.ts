import type { AgentState } from '@callgate/protocol';
import type { CentreRequests } from './centre-requests.js';

/** Where an agent asks the transfer of its customer to go: another queue, or a named agent. */
export type TransferTarget = { queue: string; agent?: never } | { agent: string; queue?: never };

/** An agent's status as it sets it: available, or away with an optional reason. */
export type AgentStatusSetting = 'available' | 'away';

/** How an agent ends its wrap-up: a disposition code and notes, kept in the call's record. */
export interface WrapUpOptions {
  disposition?: string;
  notes?: string;
}

/**
 * An agent's side of the contact centre: its status (numbered `agent` messages, replayed after a
 * resume), setting it, ending wrap-up and transferring the customer of its call. Taking the next
 * customer needs the calls too, so CallClient does it (see `nextCustomer`).
 */
export class AgentDesk {
  /** The agent's status as the server last said; null for users who are not agents. */
  status: AgentState | null = null;

  constructor(
    private readonly requests: CentreRequests,
    private readonly changed: (state: AgentState) => void,
  ) {}

  /** A numbered `agent` message arrived. */
  apply(state: AgentState): void {
    this.status = state;
    this.changed(state);
  }

  /** The connection is gone for good: the agent is offline. */
  offline(at: number): void {
    if (!this.status || this.status.status === 'offline') return;
    this.apply({ status: 'offline', since: at, queues: this.status.queues });
  }

  async setStatus(status: AgentStatusSetting, options: { reason?: string } = {}): Promise<void> {
    await this.requests.send({ type: 'agent.status', status, ...(options.reason !== undefined ? { reason: options.reason } : {}) });
  }

  async endWrapUp(options: WrapUpOptions = {}): Promise<void> {
    await this.requests.send({
      type: 'agent.wrap-up.end',
      ...(options.disposition !== undefined ? { disposition: options.disposition } : {}),
      ...(options.notes !== undefined ? { notes: options.notes } : {}),
    });
  }

  async transfer(target: TransferTarget): Promise<void> {
    await this.requests.send({
      type: 'call.transfer',
      ...(target.queue !== undefined ? { queue: target.queue } : {}),
      ...(target.agent !== undefined ? { agent: target.agent } : {}),
    });
  }
}
