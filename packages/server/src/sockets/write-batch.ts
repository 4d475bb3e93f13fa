/** The TCP side of a WebSocket: what batching its writes needs. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Gathers the frames written to one socket in the same turn of the event loop (the events of
 * one decision, a burst of positions) into one write: the socket is corked at the first frame and
 * uncorked once the turn's microtasks have run, so the kernel sees one writev instead of many.
 */
export class WriteBatch {
  private corked = false;

  constructor(private readonly tcp: Corkable) {}

  /** Call before each frame is written. */
  hold(): void {
    if (this.corked) return;
    this.corked = true;
    this.tcp.cork();
    process.nextTick(() => {
      this.corked = false;
      this.tcp.uncork();
    });
  }
}
