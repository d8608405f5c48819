// The sse_v3 transport in real Chromium (fetch's streamed body, TextDecoderStream, CORS) against a
// real Node server started by the browser project's global setup (packages/server/test/browser-setup.ts).
import { describe, expect, inject, it, vi } from 'vitest';
import { connect } from './index.js';

async function release(): Promise<void> {
  const response = await fetch(`${inject('gateControl')}/sseClient`, { method: 'POST' });
  if (response.status !== 204) throw new Error(`releasing a run: HTTP ${response.status}`);
}

describe('sse_v3 in a browser', () => {
  it('runs, queues and cancels jobs over one shared stream, from another origin', async () => {
    const app = await connect(inject('remoteQueues').sseClient, { transport: 'sse_v3' });
    try {
      const first = app.submit('/hold', ['first']);
      await vi.waitFor(() => expect(first.status?.type).toBe('running'), { timeout: 10_000 });
      const second = app.submit('/hold', ['second']);
      const third = app.submit('/hold', ['third']);
      await vi.waitFor(() => expect(third.status).toMatchObject({ type: 'queued', position: 1 }), { timeout: 10_000 });
      expect(second.status).toMatchObject({ type: 'queued', position: 0 });
      third.cancel();
      await expect(third.result).rejects.toMatchObject({ code: 'CANCELLED' });
      await release();
      expect(await first.result).toEqual(['FIRST']);
      await release();
      expect(await second.result).toEqual(['SECOND']);
    } finally {
      app.close();
    }
  });
});
