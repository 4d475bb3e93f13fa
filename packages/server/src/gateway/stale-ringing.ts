import { VideoCallEvent, endsCall, type EventMessage } from '@callgate/protocol';

/**
 * Drops, from a batch of events about to be sent, every call that both rang and ended inside the
 * batch: a user who was away while someone called and gave up is never shown a stale REQUEST.
 */
export function withoutStaleRinging(events: EventMessage[]): EventMessage[] {
  if (events.length < 2) return events;
  const rang = new Set<string>();
  const stale = new Set<string>();
  for (const event of events) {
    if (event.event === VideoCallEvent.REQUEST) rang.add(event.callId);
    else if (rang.has(event.callId) && endsCall(event)) stale.add(event.callId);
  }
  return stale.size === 0 ? events : events.filter((event) => !stale.has(event.callId));
}
