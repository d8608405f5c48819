import type { IncomingMessage } from 'node:http';
import { JsonDepthScan, tooDeepMessage } from '../core/json-guard.js';
import { addressKey } from './connection-limits.js';

/**
 * Bytes of request bodies buffered at once, per client address and in all: a body is held in memory
 * until it is whole, so many slow bodies from one address would otherwise hold gigabytes.
 */
export class BodyBudget {
  private readonly held = new Map<string, number>();
  private total = 0;

  constructor(
    readonly perAddress: number,
    readonly overall: number,
  ) {}

  /** Takes `bytes` for `key`: `null` when they fit, else the budget that is spent. */
  take(key: string, bytes: number): 'address' | 'total' | null {
    const mine = this.held.get(key) ?? 0;
    if (mine + bytes > this.perAddress) return 'address';
    if (this.total + bytes > this.overall) return 'total';
    this.held.set(key, mine + bytes);
    this.total += bytes;
    return null;
  }

  give(key: string, bytes: number): void {
    if (bytes === 0) return;
    this.total -= bytes;
    const left = (this.held.get(key) ?? bytes) - bytes;
    if (left <= 0) this.held.delete(key);
    else this.held.set(key, left);
  }

  /** Bytes buffered, and addresses buffering them: both 0 when no body is being read. */
  sizes(): { bodyBytes: number; bodyAddresses: number } {
    return { bodyBytes: this.total, bodyAddresses: this.held.size };
  }
}

export interface ReadBodyLimits {
  /** Largest body accepted. */
  maxBytes: number;
  budget: BodyBudget;
  /** Longest wait for the next chunk of a body that has started (or not) to arrive. */
  idleTimeoutMs: number;
  /**
   * A JSON body's nesting budget, counted as the chunks arrive: the first chunk past it refuses the
   * body (400), so `[[[[…` costs what arrived by then, not the whole body's receive and copy (issue 24.2).
   */
  maxJsonDepth?: number;
}

/** A body read whole, or why not: the HTTP answer the caller should give before closing. */
export type BodyResult =
  /** `bytes`: the body as it came; `text`: decoded when read (a body refused by its bytes never is). */
  | { ok: true; bytes: Buffer; readonly text: string }
  | { ok: false; status: 400 | 408 | 413 | 429 | 503; detail: string; retryAfterS?: number };

/**
 * Reads a request body as UTF-8 within `limits`. A body over `maxBytes` (by `Content-Length` or by
 * what arrives), past either budget or the depth budget, or that stops arriving is refused; the caller answers and closes
 * the connection, so nothing more of it is read. Whatever it held is given back however it ends.
 */
export async function readBody(request: IncomingMessage, limits: ReadBodyLimits): Promise<BodyResult> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes) return tooLarge(limits.maxBytes);
  const key = addressKey(request.socket.remoteAddress ?? '');
  const chunks: Buffer[] = [];
  const depth = limits.maxJsonDepth === undefined ? undefined : new JsonDepthScan(limits.maxJsonDepth);
  let size = 0;
  try {
    return await new Promise<BodyResult>((resolve) => {
      const finish = (result: BodyResult) => {
        request.off('data', onData).off('end', onEnd).off('close', onClose);
        clearTimeout(timer);
        resolve(result);
      };
      const idle = () =>
        finish({ ok: false, status: 408, detail: `request body stalled for ${limits.idleTimeoutMs} ms` });
      const timer = setTimeout(idle, limits.idleTimeoutMs);
      const onData = (chunk: Buffer) => {
        if (size + chunk.length > limits.maxBytes) return finish(tooLarge(limits.maxBytes));
        if (depth?.scanBytes(chunk) === true)
          return finish({ ok: false, status: 400, detail: tooDeepMessage(depth.maxDepth) });
        const spent = limits.budget.take(key, chunk.length);
        if (spent !== null) return finish(overBudget(spent));
        size += chunk.length;
        chunks.push(chunk);
        timer.refresh();
      };
      const onEnd = () => {
        const bytes = Buffer.concat(chunks);
        finish({
          ok: true,
          bytes,
          get text() {
            return bytes.toString('utf8');
          },
        });
      };
      // The peer hung up mid-body: no one is left to answer.
      const onClose = () => finish({ ok: false, status: 408, detail: 'the request body ended early' });
      request.on('data', onData).on('end', onEnd).on('close', onClose);
    });
  } finally {
    limits.budget.give(key, size);
  }
}

function tooLarge(maxBytes: number): BodyResult {
  return { ok: false, status: 413, detail: `request body over ${maxBytes} bytes` };
}

function overBudget(spent: 'address' | 'total'): BodyResult {
  return spent === 'address'
    ? { ok: false, status: 429, detail: 'too many request bodies in flight from your address', retryAfterS: 1 }
    : { ok: false, status: 503, detail: 'the server is reading too many request bodies', retryAfterS: 1 };
}
