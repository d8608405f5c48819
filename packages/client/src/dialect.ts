import type { AppConfig } from '@crowdserve/protocol';
import { describeValue, UnsupportedServerError } from './errors.js';

/**
 * Refuses, at `connect()`, a server whose `/config` announces a queue dialect other than Gradio 3.x's
 * WebSocket one. Gradio 3.x and crowdserve leave `protocol` out (`"ws"` is the same dialect); Gradio
 * 4.0–4.21 say `sse` … `sse_v2.1`, Gradio ≥ 4.22 `sse_v3`. Without this, every job of such an app would
 * fail later with a misleading `CONNECTION_LOST` from `/queue/join`.
 */
export function checkDialect(config: AppConfig): void {
  const protocol = config['protocol'];
  if (protocol === undefined || protocol === null || protocol === 'ws') return;
  // A crowdserve server announces sse_v3 for Gradio's clients and serves the 3.x WebSocket beside it.
  if (config.crowdserve?.websocket_queue === true) return;
  const name = typeof protocol === 'string' ? protocol : describeValue(protocol);
  throw new UnsupportedServerError(
    name,
    `protocol: expected a Gradio 3.x WebSocket queue (no "protocol" in /config, or "ws"), got ${JSON.stringify(name)}; ` +
      'this client does not speak Gradio 4+ SSE queues yet',
  );
}
