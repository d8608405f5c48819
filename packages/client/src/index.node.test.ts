import { afterEach, describe, expect, it } from 'vitest';
import { connect } from './index.node.js';
import { say, scriptedServer, type ScriptedServer } from '../test/test-utils.js';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the node entry', () => {
  it('talks to a server with no global WebSocket, through a lazily imported ws', async () => {
    expect((globalThis as { WebSocket?: unknown }).WebSocket).toBeUndefined();
    server = await scriptedServer([
      [say.sendHash, say.receive, say.sendData, say.receive, say.completed(['node']), say.close()],
    ]);
    const app = await connect(server.url);
    expect(await app.predict('/predict', ['x'])).toEqual(['node']);
    expect(server.connections[0]!.received).toHaveLength(2);
  });
});
