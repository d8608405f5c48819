import type { WebSocket } from 'ws';
import { failedMessage } from '../core/gradio3.js';

/**
 * Most messages a client may send on one queue socket. The Gradio 3 conversation needs two (the
 * join and the data); extras are ignored, but a flood of them is only ever an attack on the CPU.
 */
export const MAX_MESSAGES_PER_SOCKET = 32;

/**
 * Most fragments one incoming message may arrive in. `maxPayloadBytes` bounds their bytes, not
 * their count: empty fragments would pile up forever. Browsers split a large message into a few
 * hundred at most.
 */
export const MAX_FRAGMENTS_PER_MESSAGE = 4096;

/** Ends a socket that sends more than `max` messages: a terminal error, then close 1008 (policy). */
export function limitMessages(socket: WebSocket, max: number): void {
  let count = 0;
  socket.on('message', () => {
    if (++count <= max || socket.readyState !== socket.OPEN) return;
    const reason = `too many messages on one queue socket (limit ${max})`;
    socket.send(JSON.stringify(failedMessage(reason)));
    socket.close(1008, reason);
  });
}
