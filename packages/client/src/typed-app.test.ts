// A typed app against the real Node server: the types are the endpoints' declarations, the values
// the server's answers, and data that lies about its types is still refused by the server.
import { defineEndpoints, serve, type Server } from '@crowdserve/server/node';
import { afterEach, expect, it } from 'vitest';
import { typedEndpoints } from '../../server/test/typed-endpoints.js';
import { connect, ServerError, type TypedApp } from './index.node.js';

const endpoints = defineEndpoints({
  '/add': typedEndpoints['/add'],
  '/shout': {
    batch: true,
    inputs: [{ label: 'text', type: 'string' }],
    outputs: [{ label: 'loud', type: 'string' }],
    fn: (requests) => requests.map(([text]) => [String(text).toUpperCase()]),
  },
});

let server: Server | undefined;
let app: TypedApp<typeof endpoints> | undefined;

afterEach(async () => {
  app?.close();
  await server?.close();
});

it('predicts through the declared routes, and the result is what the server sent', async () => {
  server = await serve({ host: '127.0.0.1', port: 0, endpoints });
  app = await connect<typeof endpoints>(server.url);
  expect(await app.predict('/add', [2, 3])).toEqual([5]);
  expect(await app.submit('/shout', ['hi']).result).toEqual(['HI']);
});

it('data forced past the types is refused by the server, as for an untyped app', async () => {
  server = await serve({ host: '127.0.0.1', port: 0, endpoints });
  app = await connect<typeof endpoints>(server.url);
  const lie = ['2', 3] as unknown as [number, number];
  const error = await app.predict('/add', lie).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ServerError);
  expect((error as ServerError).message).toMatch(/expected input 0 \(a\) to be number, got string/);
});
