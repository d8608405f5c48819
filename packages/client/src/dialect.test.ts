import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '@crowdserve/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connect } from './connect.js';
import { checkDialect } from './dialect.js';
import { UnsupportedServerError } from './errors.js';

const config = (extra: Record<string, unknown>): AppConfig => ({
  version: '5.9.1',
  mode: 'blocks',
  enable_queue: true,
  dependencies: [],
  components: [],
  ...extra,
});

describe('checkDialect', () => {
  it.each([[{}], [{ protocol: 'ws' }], [{ protocol: null }]])('accepts the 3.x WebSocket dialect: %j', (extra) => {
    expect(() => checkDialect(config(extra))).not.toThrow();
  });

  it('accepts sse_v3 from a crowdserve server that serves the 3.x WebSocket beside it', () => {
    const crowdserve = (websocket_queue: boolean) => config({ protocol: 'sse_v3', crowdserve: { websocket_queue } });
    expect(() => checkDialect(crowdserve(true))).not.toThrow();
    expect(catchError(() => checkDialect(crowdserve(false)))).toBeInstanceOf(UnsupportedServerError);
  });

  it.each(['sse', 'sse_v1', 'sse_v2', 'sse_v2.1', 'sse_v3'])('refuses %s with UNSUPPORTED_SERVER naming it', (p) => {
    const error = catchError(() => checkDialect(config({ protocol: p })));
    expect(error).toBeInstanceOf(UnsupportedServerError);
    expect(error).toMatchObject({ code: 'UNSUPPORTED_SERVER', protocol: p });
    expect((error as Error).message).toContain(`"${p}"`);
  });
});

describe('connect() to a server announcing sse_v3', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('rejects with UNSUPPORTED_SERVER before any job, not CONNECTION_LOST later', async () => {
    const paths: string[] = [];
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.url === '/config' ? config({ protocol: 'sse_v3', api_prefix: '/gradio_api' }) : {}));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;

    await expect(connect(`http://127.0.0.1:${port}`, { WebSocket })).rejects.toMatchObject({
      code: 'UNSUPPORTED_SERVER',
      protocol: 'sse_v3',
    });
    expect(paths).not.toContain('/queue/join');
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
