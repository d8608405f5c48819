import type { AppConfig } from '@crowdserve/protocol/base';
import { BadRequestError, describeValue, UnsupportedServerError } from './errors.js';

/** Which queue dialect a URL target's jobs use: `'auto'` picks from `/config`. */
export type TransportOption = 'auto' | 'ws' | 'sse_v3';

/** @default 'auto': the 3.x WebSocket where the server serves it, else `sse_v3`. */
export const DEFAULT_TRANSPORT: TransportOption = 'auto';

/** Gradio 4.0 – 4.21's SSE dialects: not spoken by this client. */
const OLD_SSE = new Set(['sse', 'sse_v1', 'sse_v2', 'sse_v2.1']);

export function checkTransport(value: unknown): TransportOption {
  if (value === 'auto' || value === 'ws' || value === 'sse_v3') return value;
  throw new BadRequestError(`transport: expected 'auto', 'ws' or 'sse_v3', got ${describeValue(value)}`);
}

/**
 * Picks the dialect at `connect()` from the server's `/config`. Gradio 3.x and crowdserve's 3.x-only
 * setting leave `protocol` out (`"ws"` is the same dialect); Gradio ≥ 4.22 says `sse_v3`; a crowdserve
 * server says `sse_v3` and `crowdserve.websocket_queue: true` when it serves both. `'auto'` prefers the
 * WebSocket where both are served (DESIGN §5). Gradio 4.0–4.21 (`sse` … `sse_v2.1`), or a dialect
 * forced that the server does not serve, is refused here with `UNSUPPORTED_SERVER`: never a
 * misleading `CONNECTION_LOST` from every job later.
 */
export function chooseDialect(config: AppConfig, wanted: TransportOption = DEFAULT_TRANSPORT): 'ws' | 'sse_v3' {
  const protocol = config['protocol'];
  const name = typeof protocol === 'string' ? protocol : protocol == null ? 'ws' : describeValue(protocol);
  const sse = protocol === 'sse_v3';
  const ws =
    protocol === undefined || protocol === null || protocol === 'ws' || config.crowdserve?.websocket_queue === true;
  if (wanted === 'sse_v3' && sse) return 'sse_v3';
  if (wanted !== 'sse_v3' && ws) return 'ws';
  if (wanted === 'auto' && sse) return 'sse_v3';
  const offered = ws ? 'the 3.x WebSocket queue only' : `protocol ${JSON.stringify(name)}`;
  const why = OLD_SSE.has(name)
    ? 'Gradio 4.0–4.21 SSE queues are not spoken by this client; Gradio ≥ 4.22 (sse_v3) and 3.x are'
    : wanted === 'auto'
      ? 'this client speaks the 3.x WebSocket queue and sse_v3'
      : `transport ${JSON.stringify(wanted)} was asked for`;
  throw new UnsupportedServerError(name, `protocol: the server offers ${offered}; ${why}`);
}
