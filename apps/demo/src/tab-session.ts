import type { CallClient, SavedSession } from '@callgate/client';
import type { CustomerCard } from './customer-card.js';

/**
 * What a tab keeps across a reload (sessionStorage: this tab only): who signed in, what the
 * customer asked, and the session to resume within the grace period, so that a customer keeps its
 * place in line and a call comes back.
 */
export interface TabMemory {
  userId: string;
  /** An agent's queues. */
  queues?: string[];
  card?: CustomerCard;
  session?: SavedSession;
}

export type TabKind = 'customer' | 'agent' | 'supervisor';

const key = (kind: TabKind): string => `callgate.${kind}`;

export function recall(kind: TabKind): TabMemory | null {
  try {
    return JSON.parse(sessionStorage.getItem(key(kind)) ?? 'null') as TabMemory | null;
  } catch {
    return null;
  }
}

export function remember(kind: TabKind, memory: TabMemory): void {
  sessionStorage.setItem(key(kind), JSON.stringify(memory));
}

export function forget(kind: TabKind): void {
  sessionStorage.removeItem(key(kind));
}

let signedOut = false;

/** Signed out for good: the tab forgets the user and keeps nothing when it goes away. */
export function signOut(kind: TabKind): void {
  signedOut = true;
  forget(kind);
}

/**
 * Saves the session when the page goes away. During a call it saves the sequence number from just
 * before the call's START, so that the reloaded page is sent that START again and its SDK joins
 * the call's media anew.
 */
export function rememberOnLeave(client: CallClient, kind: TabKind, memory: () => TabMemory): void {
  let startSeq: number | null = null;
  client.on('event', (event) => {
    if (event.event === 3) startSeq = event.seq;
    else if (event.event === 4) startSeq = null;
  });
  addEventListener('pagehide', () => {
    const session = client.session;
    if (!session || signedOut) return;
    const inCall = client.currentCall?.state === 'talking' && startSeq !== null;
    remember(kind, { ...memory(), session: inCall ? { ...session, lastSeq: startSeq! - 1 } : session });
  });
}
