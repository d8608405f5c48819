import type { Duplex } from 'node:stream';

const uncork = (socket: Duplex): void => socket.uncork();

/**
 * Holds what is written to `socket` for the rest of this tick and hands it to the kernel then, in
 * one `writev`: frames a conversation writes together (the 101 answer and `send_hash`; a first
 * `estimation` and `send_data`; `process_completed` and the close frame) cost one system call, and
 * the client one wake-up, instead of one each. On loopback a write costs ~20–30 µs, the peer's
 * receive included. Corks nest (Node counts them), so `ws`'s own cork inside `send` is unaffected.
 */
export function corkForTick(socket: Duplex): void {
  socket.cork();
  process.nextTick(uncork, socket);
}
