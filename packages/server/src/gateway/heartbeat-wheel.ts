/** Something pinged once per heartbeat interval. */
export interface Beating {
  heartbeat(): void;
}

/** How often the wheel turns; each turn pings one slot's share of the connections. */
const TURN_MS = 250;

/**
 * Pings every connection once per interval without stopping the server for all of them at once:
 * connections are spread over slots, and each turn of the wheel pings one slot.
 */
export class HeartbeatWheel {
  private readonly slots: Set<Beating>[];
  private readonly slotOf = new Map<Beating, Set<Beating>>();
  private next = 0;
  private turn = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number, onFullTurn: () => void = () => {}) {
    const count = Math.max(1, Math.round(intervalMs / TURN_MS));
    this.slots = Array.from({ length: count }, () => new Set<Beating>());
    this.timer = setInterval(() => {
      const slot = this.slots[this.turn]!;
      for (const connection of slot) connection.heartbeat();
      this.turn = (this.turn + 1) % this.slots.length;
      if (this.turn === 0) onFullTurn();
    }, intervalMs / count);
    this.timer.unref();
  }

  add(connection: Beating): void {
    const slot = this.slots[this.next]!;
    this.next = (this.next + 1) % this.slots.length;
    slot.add(connection);
    this.slotOf.set(connection, slot);
  }

  remove(connection: Beating): void {
    this.slotOf.get(connection)?.delete(connection);
    this.slotOf.delete(connection);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
