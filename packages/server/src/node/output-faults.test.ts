// Handler outputs that JSON cannot carry, and thrown values that cannot be read: the job fails
// with a clear error, the slot frees, the server goes on. (Needs the checkJson guard in core/handler-output.ts.)
import { afterEach, describe, expect, it } from 'vitest';
import type { EndpointDefinition } from '../endpoint.js';
import { serve, type Server } from './serve.js';
import { RawJob } from '../../test/test-utils.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const cyclic = (): unknown[] => {
  const a: unknown[] = [];
  a.push(a);
  return a;
};
const unreadable = (): Error =>
  Object.create(Error.prototype, {
    message: {
      get() {
        throw new Error('no message for you');
      },
    },
  }) as Error;

describe('outputs that cannot be sent', () => {
  it.each<[string, EndpointDefinition, string]>([
    [
      'a BigInt',
      { fn: async () => [1n] },
      '/out returned an output that cannot be sent as JSON (Do not know how to serialize a BigInt)',
    ],
    ['a cycle', { fn: async () => cyclic() }, '/out returned an output that cannot be sent as JSON'],
    ['a BigInt in a batch', { batch: true, fn: async (r) => r.map(() => [2n]) }, 'cannot be sent as JSON'],
    [
      'a BigInt yielded by a generator',
      {
        fn: async function* () {
          yield [3n];
        },
      },
      'cannot be sent as JSON',
    ],
    ['a thrown error whose message getter throws', { fn: () => Promise.reject(unreadable()) }, 'handler failed'],
  ])('%s: the job fails cleanly and the slot frees', async (_, endpoint, error) => {
    const server = await serve({
      port: 0,
      host: '127.0.0.1',
      endpoints: { '/out': endpoint, '/ok': { fn: async (d) => d } },
    });
    servers.push(server);
    const bad = RawJob.auto(server.url, 0, []);
    expect(await bad.waitClosed()).toBe(1000);
    expect(bad.last()).toMatchObject({
      msg: 'process_completed',
      success: false,
      output: { error: expect.stringContaining(error) },
    });
    const next = RawJob.auto(server.url, 1, ['next']);
    await next.waitClosed();
    expect(next.last()).toMatchObject({ success: true, output: { data: ['next'] } });
    const http = await fetch(`${server.url}/run/out`, { method: 'POST', body: '{"data":[]}' });
    expect(http.status).toBe(500);
    expect(((await http.json()) as { error: string }).error).toContain(error);
  });

  it('an output whose toJSON throws on its second call: that job fails, the process goes on', async () => {
    // Regression (issue 21.1): checked once, encoded again in the conversation's send, the throw was an
    // unhandled rejection that ended the process.
    const flaky = () => {
      let calls = 0;
      return {
        toJSON() {
          calls += 1;
          if (calls > 1) throw new Error('second encoding');
          return 'once';
        },
      };
    };
    const server = await serve({
      port: 0,
      host: '127.0.0.1',
      endpoints: { '/flaky': { fn: async () => [flaky()] }, '/ok': { fn: async (d) => d } },
    });
    servers.push(server);
    const bad = RawJob.auto(server.url, 0, []);
    expect(await bad.waitClosed()).toBe(1000);
    expect(bad.last()).toMatchObject({ msg: 'process_completed', success: false });
    const next = RawJob.auto(server.url, 1, ['next']);
    await next.waitClosed();
    expect(next.last()).toMatchObject({ success: true, output: { data: ['next'] } });
  });

  it('data nested deeper than JSON.stringify can recurse, echoed back: a clear error, the server goes on', async () => {
    const server = await serve({ port: 0, host: '127.0.0.1', endpoints: { '/echo': { fn: async (d) => d } } });
    servers.push(server);
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const job = new RawJob(server.url);
    await job.waitFor('send_hash');
    job.send({ fn_index: 0, session_hash: 'h' });
    await job.waitFor('send_data');
    job.send(`{"data":[${deep}],"fn_index":0,"session_hash":"h"}`);
    expect(await job.waitClosed()).toBe(1000);
    // On the socket the depth budget refuses it before it is parsed (json-guard.ts).
    expect(job.last()).toMatchObject({
      success: false,
      output: { error: expect.stringContaining('nested at most 64 levels deep') },
    });
    const next = RawJob.auto(server.url, 0, ['next']);
    await next.waitClosed();
    expect(next.last()).toMatchObject({ success: true, output: { data: ['next'] } });
  });
});
