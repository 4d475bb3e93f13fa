/** Where each piece of cluster state lives in Redis, under one prefix per deployment. */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  user = (userId: string): string => `${this.prefix}user:${userId}`;
  call = (callId: string): string => `${this.prefix}call:${callId}`;
  room = (roomId: number): string => `${this.prefix}room:${roomId}`;
  /** A device session's numbered messages (a list of JSON SequencedMessages). */
  outbox = (userId: string, deviceId: string): string => `${this.prefix}outbox:${userId}:${deviceId}`;
  /** Hash: "s:deviceId" → the session of that device's outbox, "n:deviceId" → its last seq. */
  seqs = (userId: string): string => `${this.prefix}seqs:${userId}`;
  /** The users a node holds sockets for. */
  nodeUsers = (node: string): string => `${this.prefix}node-users:${node}`;
  /** Pub/sub channel of a node: events waiting for its users, sockets to close, other cluster messages. */
  nodeChannel = (node: string): string => `${this.prefix}node:${node}`;
  /** Hash: node → its value of a figure (see Cluster.setFigure). */
  figure = (name: string): string => `${this.prefix}figure:${name}`;
  /** A queue entry (JSON EntryRecord). */
  entry = (entryId: string): string => `${this.prefix}entry:${entryId}`;
  /** Sorted set: a queue's line (waiting and offered entries) by line score. */
  line = (queue: string): string => `${this.prefix}line:${queue}`;
  /** Sorted set: a queue's agents that may be offered a customer now, by idle time. */
  available = (queue: string): string => `${this.prefix}available:${queue}`;
  /** Set: the online agents serving a queue. */
  queueAgents = (queue: string): string => `${this.prefix}queue-agents:${queue}`;
  /** The online users whose token has a role. */
  role = (role: string): string => `${this.prefix}role:${role}`;
  /** Cluster-wide channel for messages every node hears. */
  get broadcastChannel(): string {
    return `${this.prefix}broadcast`;
  }
  get liveCalls(): string {
    return `${this.prefix}calls`;
  }
  /** Set: the ids of every queue entry. */
  get liveEntries(): string {
    return `${this.prefix}entries`;
  }
  /** Sorted set: timer key → due time (ms). */
  get timers(): string {
    return `${this.prefix}timers`;
  }
  /** Hash: timer key → the input it feeds back (JSON). */
  get timerInputs(): string {
    return `${this.prefix}timer-inputs`;
  }
  /** Sorted set: node → last heartbeat (ms). */
  get nodes(): string {
    return `${this.prefix}nodes`;
  }
}
