import type { CustomerCard } from './customer-card.js';

/**
 * What a tab keeps across a reload (sessionStorage: this tab only): who signed in and what the
 * customer asked. The SDK keeps the session beside it, so that a customer keeps its place in line
 * and a call comes back.
 */
export interface TabMemory {
  userId: string;
  /** An agent's queues. */
  queues?: string[];
  card?: CustomerCard;
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
 * Keeps the tab's memory when the page goes away (what the customer typed since). The session
 * itself the SDK keeps and resumes after a reload (a tab is one device: docs/architecture.md, "Devices").
 */
export function rememberOnLeave(kind: TabKind, memory: () => TabMemory): void {
  addEventListener('pagehide', () => {
    if (!signedOut) remember(kind, memory());
  });
}
