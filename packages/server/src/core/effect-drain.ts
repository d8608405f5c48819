/**
 * Runs effects in order, one owner at a time: effects handed in while others run (an effect whose
 * execution calls the engine again) queue behind them, so the engine is never re-entered.
 */
export class EffectDrain<E> {
  private readonly pending: E[] = [];
  private draining = false;

  constructor(private readonly execute: (effect: E) => void) {}

  /** Effects waiting behind the ones running: 0 between calls. */
  get backlog(): number {
    return this.pending.length;
  }

  run(effects: E[]): void {
    if (this.draining) {
      // One by one, not push(...effects): a round to a very long line is more effects than a call takes arguments.
      for (const effect of effects) this.pending.push(effect);
      return;
    }
    this.draining = true;
    let next = 0;
    let done = 0;
    try {
      // The engine's array itself, not a copy: a round is one effect per waiting job. By index, not
      // shift(), which would move the rest each time. Effects made meanwhile run after, in order.
      while (next < effects.length) this.execute(effects[next++] as E);
      while (done < this.pending.length) this.execute(this.pending[done++] as E);
    } finally {
      this.pending.splice(0, done);
      // An effect that threw leaves the rest of the engine's waiting, ahead of those made meanwhile.
      if (next < effects.length) {
        const rest = effects.slice(next);
        for (const effect of this.pending) rest.push(effect);
        this.pending.length = 0;
        for (const effect of rest) this.pending.push(effect);
      }
      this.draining = false;
    }
  }
}
