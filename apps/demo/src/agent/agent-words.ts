/** The agent's desk in plain words: statuses and the outcomes of calls in the history. */

export const statusWords: Record<string, string> = {
  offline: 'Offline',
  available: 'Available',
  offered: 'Ringing',
  talking: 'In a call',
  'wrap-up': 'Wrapping up',
  away: 'Away',
};

/** A call record's outcome, from the agent's side. */
export const outcomeWords: Record<string, string> = {
  completed: 'Talked',
  transferred: 'Transferred',
  refused: 'You declined',
  timeout: 'Missed: not answered in time',
  cancelled: 'Missed: the customer hung up first',
  offline: 'Missed: you were offline',
  busy: 'Missed: you were busy',
  disconnected: 'Connection lost',
  'force-ended': 'Ended by the service',
  vetoed: 'Not allowed',
  'shutting-down': 'Service restarting',
};

/** Whether an outcome is a missed offer (not the agent's own "no"). */
export const missedOutcomes = ['timeout', 'cancelled', 'offline'];

/** The reasons an agent may give for being away. */
export const awayReasons = ['Break', 'Lunch', 'Meeting', 'Training', 'Admin'];

/** Wrap-up dispositions: a short list, kept in the call's record. */
export const dispositions: { code: string; label: string }[] = [
  { code: 'resolved', label: 'Resolved' },
  { code: 'follow-up', label: 'Needs a follow-up' },
  { code: 'escalated', label: 'Escalated' },
  { code: 'information', label: 'Information given' },
  { code: 'other', label: 'Other' },
];
