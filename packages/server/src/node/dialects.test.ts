// Each dialect can be turned off; /config tells the official clients which one to use.
import { client as client06 } from 'gradio-client-0.6';
import { Client as Client119 } from 'gradio-client-1.19';
import { Client as Client2 } from 'gradio-client-2';
import { afterEach, describe, expect, it } from 'vitest';
import { serve, type Server } from './serve.js';
import type { Dialects } from './options.js';
import { RawJob } from '../../test/test-utils.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(dialects?: Dialects): Promise<Server> {
  const server = await serve({
    port: 0,
    host: '127.0.0.1',
    ...(dialects === undefined ? {} : { dialects }),
    endpoints: { '/predict': { fn: async ([text]) => [String(text).toUpperCase()] } },
  });
  servers.push(server);
  return server;
}

const config = async (server: Server) =>
  (await (await fetch(`${server.url}/config`)).json()) as Record<string, unknown>;

describe('dialects', () => {
  it('by default: /config announces sse_v3 under /gradio_api, and 0.6, 1.19 and 2.x all predict', async () => {
    const server = await start();
    expect(await config(server)).toMatchObject({ protocol: 'sse_v3', api_prefix: '/gradio_api' });
    const info = await fetch(`${server.url}/gradio_api/info`);
    expect(await info.json()).toEqual(await (await fetch(`${server.url}/info`)).json());
    const app06 = await client06(server.url, {});
    expect(((await app06.predict('/predict', ['a'])) as { data: unknown[] }).data).toEqual(['A']);
    expect((await (await Client119.connect(server.url)).predict('/predict', ['b'])).data).toEqual(['B']);
    const app2 = await Client2.connect(server.url);
    expect((await app2.predict('/predict', ['c'])).data).toEqual(['C']);
    app2.close();
  });

  it('sseV3 off: /config says ws, the /gradio_api routes are not there, 1.19 uses the WebSocket', async () => {
    const server = await start({ sseV3: false });
    const c = await config(server);
    expect(c['protocol']).toBe('ws');
    expect(c).not.toHaveProperty('api_prefix');
    const stream = await fetch(`${server.url}/gradio_api/queue/data?session_hash=abcdefgh12`);
    expect(stream.status).toBe(404);
    expect((await (await Client119.connect(server.url)).predict('/predict', ['b'])).data).toEqual(['B']);
    expect(server.internalSizes()).not.toHaveProperty('sseSessions');
  });

  it('gradio3 off: the /queue/join WebSocket is refused with 404, 2.x still predicts', async () => {
    const server = await start({ gradio3: false });
    const job = new RawJob(server.url);
    await expect(job.opened).rejects.toThrow(/404/);
    const app2 = await Client2.connect(server.url);
    expect((await app2.predict('/predict', ['c'])).data).toEqual(['C']);
    app2.close();
  });
});
