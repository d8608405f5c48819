/** Fires `onExpire` once when `kick()` has not been called for `ms`; any transport can arm one for a silent peer. */
export interface Watchdog {
  kick(): void;
  stop(): void;
}

export function watchdog(ms: number, onExpire: () => void): Watchdog {
  let timer = setTimeout(onExpire, ms);
  return {
    kick() {
      clearTimeout(timer);
      timer = setTimeout(onExpire, ms);
    },
    stop: () => clearTimeout(timer),
  };
}
