import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { EndpointDefinition } from '../endpoint.js';
import { serve, type Server } from './serve.js';
import type { ServeOptions } from './options.js';
import { deferred, RawJob } from '../../test/test-utils.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Partial<ServeOptions> & Pick<ServeOptions, 'endpoints'>): Promise<Server> {
  const server = await serve({ port: 0, host: '127.0.0.1', closeGraceMs: 500, ...options });
  servers.push(server);
  return server;
}

const upper: EndpointDefinition = { fn: async ([text]) => [String(text).toUpperCase()] };

describe('a single job', () => {
  it('follows the Gradio 3 transcript and closes with 1000', async () => {
    const server = await start({ endpoints: { '/predict': upper } });
    const job = new RawJob(server.url);
    await job.waitFor('send_hash');
    job.send({ fn_index: 0, session_hash: 'abc' });
    await job.waitFor('send_data');
    job.send({ data: ['hello'], event_data: null, fn_index: 0, session_hash: 'abc' });
    expect(await job.waitClosed()).toBe(1000);
    expect(job.types()).toEqual(['send_hash', 'estimation', 'send_data', 'process_starts', 'process_completed']);
    expect(job.messages[1]).toMatchObject({ msg: 'estimation', rank: 0, queue_size: 1 });
    const done = job.last();
    expect(done).toMatchObject({
      msg: 'process_completed',
      success: true,
      output: { data: ['HELLO'], is_generating: false },
    });
    expect(done?.msg === 'process_completed' && done.success && done.output.duration).toBeGreaterThanOrEqual(0);
  });
});

describe('queue_full', () => {
  it('refuses a join beyond maxSize waiting jobs, with the extra fields, and never runs it', async () => {
    const gate = deferred();
    const seen: string[] = [];
    const server = await start({
      maxSize: 2,
      // Every job here comes from one address: the per-client share (half of maxSize) is not under test.
      maxWaitingPerClient: null,
      endpoints: {
        '/slow': {
          fn: async ([x]) => {
            seen.push(String(x));
            await gate.promise;
            return [x];
          },
        },
      },
    });
    const running = RawJob.auto(server.url, 0, ['running']);
    await running.waitFor('process_starts');
    const waiting = await RawJob.inOrder(server.url, 0, [['w1'], ['w2']]);
    const refused = RawJob.auto(server.url, 0, ['refused']);
    expect(await refused.waitClosed()).toBe(1000);
    expect(refused.types()).toEqual(['send_hash', 'queue_full']);
    expect(refused.last()).toMatchObject({ msg: 'queue_full', queue_size: 2, max_size: 2 });
    const full = refused.last();
    expect(full?.msg === 'queue_full' && full.retry_after).toBeGreaterThan(0);
    gate.resolve();
    for (const w of waiting) await w.waitClosed();
    expect(seen).toEqual(['running', 'w1', 'w2']);
  });
});

describe('batching', () => {
  it('runs six waiting clients as batches of 4 and 2, each getting its own result', async () => {
    const gate = deferred();
    const batches: unknown[][][] = [];
    const server = await start({
      endpoints: {
        '/block': { fn: async () => (await gate.promise, ['unblocked']) },
        '/double': {
          batch: true,
          maxBatchSize: 4,
          fn: async (requests) => {
            batches.push(requests);
            return requests.map(([n]) => [Number(n) * 2]);
          },
        },
      },
    });
    const blocker = RawJob.auto(server.url, 0, []);
    await blocker.waitFor('process_starts');
    const jobs = [1, 2, 3, 4, 5, 6].map((n) => RawJob.auto(server.url, 1, [n]));
    for (const job of jobs) await job.waitFor('estimation');
    gate.resolve();
    for (const job of jobs) await job.waitClosed();
    expect(batches.map((b) => b.length)).toEqual([4, 2]);
    expect(jobs.map((j) => j.last())).toEqual(
      [2, 4, 6, 8, 10, 12].map((n) =>
        expect.objectContaining({
          msg: 'process_completed',
          success: true,
          output: expect.objectContaining({ data: [n] }),
        }),
      ),
    );
  });
});

describe('disconnects', () => {
  it('removes a waiting job at once: the others move up, it never runs', async () => {
    const gate = deferred();
    const seen: string[] = [];
    const server = await start({
      endpoints: {
        '/slow': {
          fn: async ([x]) => {
            seen.push(String(x));
            await gate.promise;
            return [x];
          },
        },
      },
    });
    const running = RawJob.auto(server.url, 0, ['running']);
    await running.waitFor('process_starts');
    const first = RawJob.auto(server.url, 0, ['first']);
    await first.waitFor('estimation');
    const second = RawJob.auto(server.url, 0, ['second']);
    await second.waitFor('estimation');
    expect(second.messages.find((m) => m.msg === 'estimation')).toMatchObject({ rank: 1 });
    first.socket.close();
    await expect
      .poll(() => second.messages.filter((m) => m.msg === 'estimation').at(-1))
      .toMatchObject({ rank: 0, queue_size: 1 });
    expect(server.stats().waiting).toBe(1);
    gate.resolve();
    await second.waitClosed();
    expect(seen).toEqual(['running', 'second']);
  });

  it("fires the running handler's signal when its client leaves, and frees the slot", async () => {
    const aborted = deferred<string>();
    const server = await start({
      endpoints: {
        '/wait': {
          fn: ([x], { signal }) =>
            new Promise((resolve) => {
              if (x === 'quick') return resolve(['quick']);
              signal.addEventListener('abort', () => {
                aborted.resolve('aborted');
                resolve(['late']);
              });
            }),
        },
      },
    });
    const leaver = RawJob.auto(server.url, 0, ['hang']);
    await leaver.waitFor('process_starts');
    const next = RawJob.auto(server.url, 0, ['quick']);
    await next.waitFor('estimation');
    leaver.socket.close();
    expect(await aborted.promise).toBe('aborted');
    await next.waitClosed();
    expect(next.last()).toMatchObject({ success: true, output: { data: ['quick'] } });
  });
});

describe('handler failures', () => {
  it('sends a clean error without a stack and keeps the queue going', async () => {
    const server = await start({
      endpoints: {
        '/flaky': {
          fn: async ([x]) => {
            if (x === 'bad') throw new Error('cannot handle bad');
            return [x];
          },
        },
      },
    });
    const bad = RawJob.auto(server.url, 0, ['bad']);
    const good = RawJob.auto(server.url, 0, ['good']);
    await bad.waitClosed();
    await good.waitClosed();
    expect(bad.last()).toEqual({ msg: 'process_completed', output: { error: 'cannot handle bad' }, success: false });
    expect(JSON.stringify(bad.messages)).not.toContain('    at ');
    expect(good.last()).toMatchObject({ success: true, output: { data: ['good'] } });
  });

  it('fails a handler that returns something other than an array of outputs', async () => {
    const server = await start({ endpoints: { '/wrong': { fn: async () => 'not an array' as unknown as unknown[] } } });
    const job = RawJob.auto(server.url, 0, []);
    await job.waitClosed();
    expect(job.last()).toMatchObject({
      success: false,
      output: { error: expect.stringContaining('expected an array') },
    });
  });
});

describe('generators', () => {
  it('streams each yield as process_generating, then completes with the last', async () => {
    const server = await start({
      endpoints: {
        '/count': {
          fn: async function* ([n]) {
            for (let i = 1; i <= Number(n); i++) yield [i];
          },
        },
      },
    });
    const job = RawJob.auto(server.url, 0, [3]);
    await job.waitClosed();
    expect(job.types()).toEqual([
      'send_hash',
      'estimation',
      'send_data',
      'process_starts',
      'process_generating',
      'process_generating',
      'process_generating',
      'process_completed',
    ]);
    expect(
      job.messages
        .filter((m) => m.msg === 'process_generating')
        .map((m) => m.msg === 'process_generating' && m.output.data),
    ).toEqual([[1], [2], [3]]);
    expect(job.last()).toMatchObject({ success: true, output: { data: [3] } });
  });

  it('relays progress reports', async () => {
    const server = await start({
      endpoints: {
        '/steps': {
          fn: async (_, { progress }) => {
            progress({ index: 1, length: 2, unit: 'steps', desc: 'halfway' });
            return ['done'];
          },
        },
      },
    });
    const job = RawJob.auto(server.url, 0, []);
    await job.waitClosed();
    expect(job.messages.find((m) => m.msg === 'progress')).toEqual({
      msg: 'progress',
      progress_data: [{ index: 1, length: 2, unit: 'steps', progress: null, desc: 'halfway' }],
    });
  });
});

describe('timeouts', () => {
  it('fails a job whose client never sends its data, and frees the slot', async () => {
    const server = await start({ dataTimeoutMs: 150, endpoints: { '/predict': upper } });
    const silent = new RawJob(server.url);
    await silent.waitFor('send_hash');
    silent.send({ fn_index: 0, session_hash: 's' });
    await silent.waitFor('send_data');
    const next = RawJob.auto(server.url, 0, ['next']);
    await silent.waitClosed();
    expect(silent.last()).toMatchObject({
      success: false,
      output: { error: expect.stringContaining("timed out waiting for the job's data") },
    });
    await next.waitClosed();
    expect(next.last()).toMatchObject({ success: true, output: { data: ['NEXT'] } });
  });

  it('fails a job that does not say which endpoint it joins within the handshake timeout', async () => {
    const server = await start({ handshakeTimeoutMs: 100, endpoints: { '/predict': upper } });
    const mute = new RawJob(server.url);
    expect(await mute.waitClosed()).toBe(1000);
    expect(mute.last()).toMatchObject({ msg: 'process_completed', success: false });
  });

  it('fails a call that runs past the endpoint timeout and frees its slot', async () => {
    const server = await start({
      endpoints: { '/hang': { timeoutMs: 100, fn: ([x]) => (x === 'hang' ? new Promise<unknown[]>(() => {}) : [x]) } },
    });
    const hung = RawJob.auto(server.url, 0, ['hang']);
    const next = RawJob.auto(server.url, 0, ['next']);
    await hung.waitClosed();
    expect(hung.last()).toMatchObject({ success: false, output: { error: 'timed out after 0.1 s' } });
    await next.waitClosed();
    expect(next.last()).toMatchObject({ success: true, output: { data: ['next'] } });
  });
});

describe('apiOpen', () => {
  it('false: the predict routes answer 404, the queue still works', async () => {
    const server = await start({ apiOpen: false, endpoints: { '/predict': upper } });
    for (const route of ['/run/predict', '/api/predict/']) {
      const response = await fetch(`${server.url}${route}`, { method: 'POST', body: JSON.stringify({ data: ['x'] }) });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ detail: 'Not Found' });
    }
    const job = RawJob.auto(server.url, 0, ['queue']);
    await job.waitClosed();
    expect(job.last()).toMatchObject({ success: true, output: { data: ['QUEUE'] } });
  });

  it('true: a POST joins the same queue behind the waiting users, and gets 503 with Retry-After when full', async () => {
    const gate = deferred();
    const order: string[] = [];
    const server = await start({
      maxSize: 1,
      endpoints: {
        '/predict': {
          fn: async ([x]) => {
            order.push(String(x));
            if (x === 'first') await gate.promise;
            return [String(x).toUpperCase()];
          },
        },
      },
    });
    const first = RawJob.auto(server.url, 0, ['first']);
    await first.waitFor('process_starts');
    const waiting = RawJob.auto(server.url, 0, ['waiting']);
    await waiting.waitFor('estimation');
    const full = await fetch(`${server.url}/run/predict`, { method: 'POST', body: JSON.stringify({ data: ['full'] }) });
    expect(full.status).toBe(503);
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    gate.resolve();
    await waiting.waitClosed();
    const ok = await fetch(`${server.url}/api/predict/`, { method: 'POST', body: JSON.stringify({ data: ['post'] }) });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ data: ['POST'], is_generating: false, duration: expect.any(Number) });
    expect(order).toEqual(['first', 'waiting', 'post']);
  });

  it('checks declared inputs on POST', async () => {
    const server = await start({
      endpoints: { '/predict': { ...upper, inputs: [{ label: 'text', type: 'string' }] } },
    });
    const response = await fetch(`${server.url}/run/predict`, {
      method: 'POST',
      body: JSON.stringify({ data: ['a', 'b'] }),
    });
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ detail: 'expected 1 input (text), got 2' });
  });
});

describe('HTTP routes', () => {
  it('/config is Gradio-3-shaped, /info lists named endpoints', async () => {
    const server = await start({
      concurrencyCount: 2,
      maxSize: 9,
      endpoints: {
        '/predict': {
          ...upper,
          inputs: [{ label: 'text', type: 'string' }],
          outputs: [{ label: 'upper', type: 'string' }],
        },
        '/classify': { batch: true, maxBatchSize: 16, fn: async (r) => r.map(() => ['x']) },
      },
    });
    const config = await (await fetch(`${server.url}/config`)).json();
    expect(config).toMatchObject({
      version: '3.50.2',
      enable_queue: true,
      crowdserve: { version: expect.any(String), concurrency_count: 2, max_size: 9 },
    });
    expect(config.dependencies).toHaveLength(2);
    expect(config.dependencies[0]).toMatchObject({
      api_name: 'predict',
      queue: null,
      batch: false,
      types: { continuous: false, generator: false },
      backend_fn: true,
      cancels: [],
      every: null,
    });
    expect(config.dependencies[1]).toMatchObject({ api_name: 'classify', batch: true, max_batch_size: 16 });
    const info = await (await fetch(`${server.url}/info`)).json();
    expect(Object.keys(info.named_endpoints)).toEqual(['/predict', '/classify']);
    expect(info.named_endpoints['/predict'].parameters[0]).toMatchObject({ label: 'text', type: { type: 'string' } });
    expect(info.unnamed_endpoints).toEqual({});
  });

  it('/queue/status, /healthz and /metrics', async () => {
    const server = await start({ endpoints: { '/predict': upper } });
    const job = RawJob.auto(server.url, 0, ['m']);
    await job.waitClosed();
    expect(await (await fetch(`${server.url}/queue/status`)).json()).toMatchObject({
      msg: 'estimation',
      rank: null,
      queue_size: 0,
    });
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('crowdserve_queue_waiting 0');
    expect(metrics).toContain('crowdserve_jobs_completed_total 1');
    expect(metrics).toContain('crowdserve_batches_total{size="1"} 1');
    expect(metrics).toMatch(/crowdserve_batch_seconds_count\{endpoint="\/predict"\} 1/);
  });
});

describe('guards', () => {
  it('refuses a foreign Origin with 403 at the handshake, accepts an allowed one', async () => {
    const server = await start({ allowedOrigins: ['https://my.app'], endpoints: { '/predict': upper } });
    for (const origin of ['https://evil.test', 'https://my.app.evil.test', 'null']) {
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${server.url.replace('http', 'ws')}/queue/join`, { origin });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
        ws.on('error', () => {});
      });
      expect(status, origin).toBe(403);
    }
    const allowed = new RawJob(server.url, { origin: 'https://my.app' });
    await allowed.waitFor('send_hash');
    allowed.socket.close();
  });

  it('closes a frame over maxPayloadBytes with 1009', async () => {
    const server = await start({ maxPayloadBytes: 2048, endpoints: { '/predict': upper } });
    const job = new RawJob(server.url);
    await job.waitFor('send_hash');
    job.send({ fn_index: 0, session_hash: 'x'.repeat(4096) });
    expect(await job.waitClosed()).toBe(1009);
    expect(server.internalSizes().hostJobs).toBe(0);
  });

  it('answers malformed JSON with an error and stays healthy', async () => {
    const server = await start({ endpoints: { '/predict': upper } });
    const bad = new RawJob(server.url);
    await bad.waitFor('send_hash');
    bad.send('{"fn_index": 0, nope');
    expect(await bad.waitClosed()).toBe(1000);
    expect(bad.last()).toMatchObject({
      msg: 'process_completed',
      success: false,
      output: { error: expect.stringContaining('invalid join message') },
    });
    const badData = new RawJob(server.url);
    await badData.waitFor('send_hash');
    badData.send({ fn_index: 0, session_hash: 'x' });
    await badData.waitFor('send_data');
    badData.send('[[[');
    await badData.waitClosed();
    expect(badData.last()).toMatchObject({
      success: false,
      output: { error: expect.stringContaining('invalid data message') },
    });
    const good = RawJob.auto(server.url, 0, ['fine']);
    await good.waitClosed();
    expect(good.last()).toMatchObject({ success: true, output: { data: ['FINE'] } });
  });

  it('answers an unknown fn_index with an error, keeping nothing', async () => {
    const server = await start({ endpoints: { '/predict': upper } });
    const job = RawJob.auto(server.url, 7, ['x']);
    await job.waitClosed();
    expect(job.last()).toEqual({ msg: 'process_completed', output: { error: 'unknown fn_index 7' }, success: false });
    expect(Object.values(server.internalSizes()).every((n) => n === 0)).toBe(true);
  });
});
