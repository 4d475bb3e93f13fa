import { endsCall, type SequencedMessage } from '@callgate/protocol';

/**
 * What a page that reloaded needs of its session's messages to show the truth again: the events
 * of the calls still going on here, and the newest entry state, agent status and word of its
 * call on another device. A call can end on this device and go on elsewhere (answered on another
 * device, moved away) or come back (moved here): only what came after its last end here counts.
 * Old entry states and old statuses are left out.
 */
export function sessionState(messages: readonly SequencedMessage[]): SequencedMessage[] {
  /** Per call: the index of the last event that ended it on this device. */
  const lastEnd = new Map<string, number>();
  const newest = new Map<string, number>();
  messages.forEach((message, i) => {
    if (message.type === 'event' && endsCall(message)) lastEnd.set(message.callId, i);
    if (message.type === 'entry' || message.type === 'agent' || message.type === 'elsewhere') newest.set(message.type, i);
  });
  const afterLastEnd = (callId: string, i: number): boolean => (lastEnd.get(callId) ?? -1) < i;
  return messages.filter((message, i) => {
    switch (message.type) {
      case 'event':
      case 'waking':
        return afterLastEnd(message.callId, i);
      case 'entry':
        return newest.get('entry') === i && message.entry.state !== 'ended';
      case 'agent':
        return newest.get('agent') === i;
      case 'elsewhere':
        return newest.get('elsewhere') === i && message.phase !== 'ended' && afterLastEnd(message.callId, i);
      default:
        return true;
    }
  });
}
