/**
 * Time that moves only when told: `sleep` queues a timer, `runUntil` fires
 * them in order, letting every promise settle in between. Code under test runs
 * for real, minutes of it in milliseconds, with exact and repeatable times.
 * Only for code whose waits all go through `sleep` and whose I/O settles
 * within microtasks (the local cache, not Redis).
 */
export class VirtualClock {
  private at: number;
  private sequence = 0;
  private timers: { at: number; sequence: number; fire: () => void }[] = [];

  constructor(start: number) {
    this.at = start;
  }

  readonly now = (): number => this.at;

  readonly sleep = (ms: number): Promise<void> =>
    new Promise<void>((fire) => {
      const timer = { at: this.at + Math.max(0, ms), sequence: this.sequence++, fire };
      let index = this.timers.length;
      while (index > 0 && this.timers[index - 1]!.at > timer.at) index--;
      this.timers.splice(index, 0, timer);
    });

  /** Fires every timer due by `until` (epoch ms), then leaves the clock at `until`. */
  async runUntil(until: number): Promise<void> {
    for (;;) {
      await settle();
      const next = this.timers[0];
      if (!next || next.at > until) break;
      this.timers.shift();
      this.at = Math.max(this.at, next.at);
      next.fire();
    }
    this.at = Math.max(this.at, until);
    await settle();
  }

  /** Moves on by `ms`, firing what falls due. */
  advance(ms: number): Promise<void> {
    return this.runUntil(this.at + ms);
  }
}

/** Every pending promise callback has run once the event loop reaches its check phase. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
