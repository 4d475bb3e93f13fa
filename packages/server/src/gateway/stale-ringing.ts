import { VideoCallEvent, endsCall, type SequencedMessage } from '@callgate/protocol';

/**
 * Drops, from a batch of messages about to be sent, every call event of a call that both rang and
 * ended inside the batch: a user who was away while someone called and gave up is never shown a
 * stale REQUEST. Other messages (entry states, agent statuses) pass.
 */
export function withoutStaleRinging(messages: readonly SequencedMessage[]): readonly SequencedMessage[] {
  if (messages.length < 2) return messages;
  const rang = new Set<string>();
  const stale = new Set<string>();
  for (const message of messages) {
    if (message.type !== 'event') continue;
    if (message.event === VideoCallEvent.REQUEST) rang.add(message.callId);
    else if (rang.has(message.callId) && endsCall(message)) stale.add(message.callId);
  }
  return stale.size === 0 ? messages : messages.filter((message) => message.type !== 'event' || !stale.has(message.callId));
}
