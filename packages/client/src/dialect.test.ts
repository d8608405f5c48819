import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '@crowdserve/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connect } from './connect.js';
import { checkTransport, chooseDialect } from './dialect.js';
import { UnsupportedServerError } from './errors.js';

const config = (extra: Record<string, unknown>): AppConfig => ({
  version: '5.9.1',
  mode: 'blocks',
  enable_queue: true,
  dependencies: [],
  components: [],
  ...extra,
});

describe('chooseDialect', () => {
  it.each([[{}], [{ protocol: 'ws' }], [{ protocol: null }]])('takes the 3.x WebSocket dialect: %j', (extra) => {
    expect(chooseDialect(config(extra))).toBe('ws');
    expect(chooseDialect(config(extra), 'ws')).toBe('ws');
    expect(catchError(() => chooseDialect(config(extra), 'sse_v3'))).toMatchObject({ code: 'UNSUPPORTED_SERVER' });
  });

  it('prefers the WebSocket of a crowdserve server that serves both, and takes either when asked', () => {
    const crowdserve = (websocket_queue: boolean) => config({ protocol: 'sse_v3', crowdserve: { websocket_queue } });
    expect(chooseDialect(crowdserve(true))).toBe('ws');
    expect(chooseDialect(crowdserve(true), 'sse_v3')).toBe('sse_v3');
    expect(chooseDialect(crowdserve(false))).toBe('sse_v3');
    expect(catchError(() => chooseDialect(crowdserve(false), 'ws'))).toBeInstanceOf(UnsupportedServerError);
  });

  it('takes sse_v3 from a Gradio ≥ 4.22 server', () => {
    expect(chooseDialect(config({ protocol: 'sse_v3', api_prefix: '/gradio_api' }))).toBe('sse_v3');
  });

  it.each(['sse', 'sse_v1', 'sse_v2', 'sse_v2.1', 'sse_v9'])('refuses %s with UNSUPPORTED_SERVER naming it', (p) => {
    for (const wanted of ['auto', 'ws', 'sse_v3'] as const) {
      const error = catchError(() => chooseDialect(config({ protocol: p }), wanted));
      expect(error).toBeInstanceOf(UnsupportedServerError);
      expect(error).toMatchObject({ code: 'UNSUPPORTED_SERVER', protocol: p });
      expect((error as Error).message).toContain(`"${p}"`);
    }
  });

  it('checks the transport option: expected X, got Y', () => {
    expect(checkTransport('sse_v3')).toBe('sse_v3');
    expect(catchError(() => checkTransport('sse'))).toMatchObject({
      code: 'BAD_REQUEST',
      message: `transport: expected 'auto', 'ws' or 'sse_v3', got "sse"`,
    });
  });
});

describe('connect() to a Gradio 4.0–4.21 server', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('rejects with UNSUPPORTED_SERVER before any job, not CONNECTION_LOST later', async () => {
    const paths: string[] = [];
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.url === '/config' ? config({ protocol: 'sse_v2.1' }) : {}));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;

    await expect(connect(`http://127.0.0.1:${port}`, { WebSocket })).rejects.toMatchObject({
      code: 'UNSUPPORTED_SERVER',
      protocol: 'sse_v2.1',
    });
    expect(paths).toEqual(['/config']);
  });
});

function catchError(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
