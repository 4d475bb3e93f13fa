import { CallgateError, ErrorCode, VideoCallEvent, type Call, type CallClient, type QueueChoice, type QueueEntry } from '@callgate/client';
import { callStage, type CallStage } from '../call/call-stage.js';
import { playRingback, unlock, type Tone } from '../call/sounds.js';
import { cardText, type CustomerCard } from '../customer-card.js';
import { displayName, h, show } from '../dom.js';
import { callEndedWords, endedWords, enterRefusedWords } from './customer-words.js';
import { ratingForm } from './rating-form.js';
import { topicForm, type TopicRequest } from './topic-form.js';
import { waitingRoom } from './waiting-room.js';

const TITLE = 'Talk to us · Callgate';

/**
 * The customer's page: "Talk to us" → the waiting room → the call with the agent → the rating,
 * with every outcome in words. A reloaded tab picks its entry up again (`client.currentEntry`).
 */
export async function customerPage(root: HTMLElement, client: CallClient, memory: { card?: CustomerCard; setCard(card: CustomerCard): void }): Promise<void> {
  let queues: QueueChoice[] = [];
  const queueName = (id: string): string => queues.find((q) => q.id === id)?.name ?? id;
  let lastWords = '';

  const home = (): void => {
    document.title = TITLE;
    const form = topicForm(queues, (request) => void enter(request, form), memory.card);
    if (lastWords) form.say(lastWords);
    show(root, form.element);
  };

  const enter = async (request: TopicRequest, form: ReturnType<typeof topicForm>): Promise<void> => {
    unlock();
    memory.setCard(request.card);
    try {
      const entry = await client.enterQueue(request.queue.id, { flags: request.flags, userStr: cardText(request.card) });
      follow(entry);
    } catch (error) {
      form.enable();
      form.say(enterRefusedWords(error instanceof CallgateError ? error.code : ErrorCode.INTERNAL, request.queue.name));
    }
  };

  /** Shows the entry as it moves: waiting, offered, in the call, transferred, ended. */
  const follow = (entry: QueueEntry): void => {
    let room: ReturnType<typeof waitingRoom> | null = null;
    let stage: CallStage | null = null;
    let ringback: Tone | null = null;
    let leftByMe = false;
    let agentName = entry.agent ? displayName(entry.agent) : 'our agent';
    let callEnd = '';

    const stopRingback = (): void => {
      ringback?.stop();
      ringback = null;
    };
    const showRoom = (): void => {
      stage?.dispose();
      stage = null;
      if (!room) {
        room = waitingRoom(entry, queueName, () => {
          leftByMe = true;
          entry.leave().catch(() => {});
        });
        show(root, room.element);
      }
      room.render();
    };
    const showCall = (call: Call): void => {
      stopRingback();
      room?.dispose();
      room = null;
      document.title = `In a call with ${agentName} · Callgate`;
      stage?.dispose();
      stage = callStage(call, { peerName: agentName, onHangup: () => void call.hangup().catch(() => {}) });
      show(root, stage.element);
      call.once('ended', (code) => {
        callEnd = code === ErrorCode.TRANSFERRED ? '' : callEndedWords(code, agentName);
      });
    };
    const showLostCall = (): void => {
      // A reloaded page whose call the server did not replay: the call goes on without media here.
      room?.dispose();
      room = null;
      const hangup = h('button', { class: 'danger', type: 'button' }, 'Hang up');
      hangup.addEventListener('click', () => client.videoCallControl(VideoCallEvent.FINISH, entry.agent ?? ''));
      show(root, h('section', { class: 'card', 'data-testid': 'call-elsewhere' }, h('h1', {}, `In a call with ${agentName}`), h('p', { role: 'status' }, 'Your call goes on, but its picture and sound could not come back to this page.'), h('div', { class: 'actions' }, hangup)));
    };

    entry.on('update', () => {
      if (entry.agent) agentName = displayName(entry.agent);
      if (entry.state === 'waiting') {
        stopRingback();
        showRoom();
      } else if (entry.state === 'offered') {
        if (!ringback) ringback = playRingback();
        showRoom();
      } else if (entry.state === 'connected' && !entry.call && !stage) {
        setTimeout(() => {
          if (entry.state === 'connected' && !entry.call) showLostCall();
        }, 3000);
      }
    });
    entry.on('call', showCall);
    entry.on('ended', (outcome) => {
      stopRingback();
      room?.dispose();
      stage?.dispose();
      document.title = TITLE;
      if (outcome === 'served' && entry.callId) {
        const callId = entry.callId;
        show(root, ratingForm(agentName, (score, comment) => client.rateCall(callId, { score, ...(comment ? { comment } : {}) }), home));
        return;
      }
      lastWords = [callEnd, endedWords(outcome, entry, leftByMe, queueName(entry.queue))].filter(Boolean).join(' ');
      home();
    });

    if (entry.call) showCall(entry.call);
    else if (entry.state === 'connected') showRoom();
    else {
      if (entry.state === 'offered') ringback = playRingback();
      showRoom();
    }
  };

  queues = await client.listQueues().catch(() => []);
  const current = client.currentEntry;
  if (current) follow(current);
  else home();
}
