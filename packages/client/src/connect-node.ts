import { connectWith, type ConnectOptions } from './connect.js';
import type { QueueTarget, WebSocketConstructor } from './transport.js';
import type { AppFor, EndpointsLike } from './typed-app.js';

/**
 * {@link connect} for Node: where there is no global `WebSocket` (Node 20), `ws` is imported
 * lazily, only when a URL target needs it; `sse_v3` requests go over `node:http` unless a `fetch`
 * is given.
 */
export function connect<E extends EndpointsLike | undefined = undefined>(
  target: string | URL | QueueTarget,
  options: ConnectOptions = {},
): Promise<AppFor<E>> {
  return connectWith(
    target,
    options,
    async () => {
      const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
      if (global) return global;
      const ws = await import('ws');
      return ws.WebSocket;
    },
    async () => (await import('./sse-http-node.js')).nodeSseHttp,
  ) as Promise<AppFor<E>>;
}
