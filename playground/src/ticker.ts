/** How often countdowns and progress bars redraw between server updates. */
export const TICK_MS = 100;

const listeners = new Set<(now: number) => void>();
let timer: number | undefined;

/**
 * Calls `listener` every {@link TICK_MS} with `Date.now()` until the returned function is called.
 * One interval serves every countdown on the page, and it stops when nobody listens.
 */
export function onTick(listener: (now: number) => void): () => void {
  listeners.add(listener);
  timer ??= window.setInterval(() => {
    const now = Date.now();
    for (const l of listeners) l(now);
  }, TICK_MS);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== undefined) {
      window.clearInterval(timer);
      timer = undefined;
    }
  };
}
