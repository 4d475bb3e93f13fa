/**
 * The nodes of a deployment, as the rest of the server sees them (docs/architecture.md, "The
 * cluster"): who this node is, which nodes are alive, messages between nodes, a figure per node,
 * and ordered work streams handled by one node at a time. One node alone uses `LocalCluster`;
 * nodes that share a Redis use the Redis cluster. Only `state/` knows which one it is.
 */
export interface Cluster {
  /** This node's name. */
  readonly node: string;
  /** True when other nodes may exist (so work may be handed between nodes). */
  readonly shared: boolean;
  /** Handles messages of `type` sent to this node (by `sendToNode`) or to every node (by `broadcast`). */
  onMessage(type: string, handler: (message: ClusterMessage) => void): void;
  sendToNode(node: string, message: ClusterMessage): Promise<void>;
  /** Sends `message` to every live node, this one included. */
  broadcast(message: ClusterMessage): Promise<void>;
  /** The nodes whose heartbeat is recent (this one included). */
  liveNodes(): Promise<Set<string>>;
  /** Publishes this node's value of a figure (e.g. how many business links it holds). */
  setFigure(name: string, value: number): Promise<void>;
  /** The sum of a figure over the live nodes. */
  sumFigure(name: string): Promise<number>;
  /** Withdraws this node's value of a figure (at shutdown). */
  clearFigure(name: string): Promise<void>;
  /** An ordered stream of work for the whole deployment; see WorkStream. */
  stream<T>(options: WorkStreamOptions<T>): WorkStream<T>;
}

/** A message between nodes: a `type` that names its handler, and JSON fields. */
export interface ClusterMessage {
  type: string;
  [field: string]: unknown;
}

export interface WorkStreamOptions<T> {
  /** Names the stream, for keys and logs (e.g. "business"). */
  name: string;
  /** Whether this node may handle the stream now (e.g. it holds business links). */
  canLead(): boolean;
  /** Handles one entry; `done` says it was fully handled (until then a new leader takes it again). */
  handle(entry: T, done: () => void): void;
}

/**
 * Work that any node appends and one node at a time handles, in order. An entry stays until it is
 * done, so that when the handling node dies or resigns, the next one takes over from the first
 * entry not done (handlers de-duplicate by their own ids).
 */
export interface WorkStream<T> {
  append(entry: T): Promise<void>;
  /** Takes, keeps or gives up the lead, as `canLead` now says. */
  lead(): Promise<void>;
  close(): Promise<void>;
}
