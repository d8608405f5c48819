import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Deadlines } from './deadlines.js';
import { TimeoutError } from './errors.js';
import type { StreamReader } from './sse-http.js';
import { nodeSseHttp } from './sse-http-node.js';

let server: Server | undefined;
let connections = 0;

/** A real server on 127.0.0.1 port 0 that answers as `handle` says. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  connections = 0;
  server = createServer(handle);
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  vi.useRealTimers();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

function reader() {
  const heard: string[] = [];
  const r: StreamReader = {
    refused: (status, detail) => void heard.push(`refused ${status} ${detail}`),
    text: (chunk) => void heard.push(chunk),
    end: () => void heard.push('end'),
    fail: (cause) => void heard.push(`fail ${String(cause)}`),
  };
  return { r, heard };
}

describe('nodeSseHttp', () => {
  it('posts JSON and answers with the status, Retry-After and the body (null when not JSON), on one kept-alive socket', async () => {
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += String(c)));
      req.on('end', () => {
        if (req.url === '/full') {
          res.writeHead(503, { 'retry-after': '3', 'content-type': 'application/json' });
          res.end('{"detail":"full"}');
        } else if (req.url === '/text') res.end('not json');
        else res.end(JSON.stringify({ echo: JSON.parse(body) as unknown, type: req.headers['content-type'] }));
      });
    });
    const http = nodeSseHttp(new Deadlines());
    expect(await http.post(`${url}/join`, '{"a":1}', 1000)).toEqual({
      status: 200,
      retryAfter: null,
      body: { echo: { a: 1 }, type: 'application/json' },
    });
    expect(await http.post(`${url}/full`, '{}', 1000)).toEqual({
      status: 503,
      retryAfter: '3',
      body: { detail: 'full' },
    });
    expect(await http.post(`${url}/text`, '{}', 1000)).toEqual({ status: 200, retryAfter: null, body: null });
    expect(connections).toBe(1);
    http.close();
  });

  it('rejects a POST not answered in time with a TimeoutError, and one that cannot connect with its cause', async () => {
    const url = await serve(() => {});
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const http = nodeSseHttp(new Deadlines());
    const arrived = new Promise((resolve) => server!.once('request', resolve));
    const answer = http.post(`${url}/join`, '{}', 5000);
    const settled = vi.fn();
    answer.then(settled, settled);
    // Not vi.waitFor: under fake timers it moves the clock on.
    await arrived;
    await vi.advanceTimersByTimeAsync(4999);
    expect(settled).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await expect(answer).rejects.toBeInstanceOf(TimeoutError);
    vi.useRealTimers();

    await expect(http.post('http://127.0.0.1:1/join', '{}', 1000)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    http.close();
  });

  it('streams text until the body ends; a refused GET is its status and body', async () => {
    let write: ((text: string) => void) | undefined;
    let end: (() => void) | undefined;
    const url = await serve((req, res) => {
      if (req.url === '/refused') {
        res.writeHead(404);
        res.end('{"detail":"Session not found."}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      write = (text) => res.write(text);
      end = () => res.end();
    });
    const http = nodeSseHttp(new Deadlines());
    const { r, heard } = reader();
    http.stream(`${url}/data`, r);
    await vi.waitFor(() => expect(write).toBeDefined());
    write!('data: 1\n\n');
    await vi.waitFor(() => expect(heard).toEqual(['data: 1\n\n']));
    write!('data: é\n\n');
    end!();
    await vi.waitFor(() => expect(heard).toEqual(['data: 1\n\n', 'data: é\n\n', 'end']));

    const refused = reader();
    http.stream(`${url}/refused`, refused.r);
    await vi.waitFor(() => expect(refused.heard).toEqual(['refused 404 {"detail":"Session not found."}']));
    http.close();
  });

  it('hears nothing after stop(); a stream stopped after its body ended leaves its socket to the next request', async () => {
    let write: ((text: string) => void) | undefined;
    const url = await serve((req, res) => {
      if (req.url === '/closing') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('data: {"msg":"close_stream"}\n\n');
        return;
      }
      if (req.url === '/next') return void res.end('{}');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      write = (text) => res.write(text);
    });
    const http = nodeSseHttp(new Deadlines());
    const open = reader();
    const stop = http.stream(`${url}/open`, open.r);
    await vi.waitFor(() => expect(write).toBeDefined());
    stop();
    write!('data: late\n\n');
    expect(open.heard).toEqual([]);

    const before = connections;
    const closing = reader();
    let stopClosing = (): void => {};
    const heardClose = new Promise<void>((resolve) => {
      stopClosing = http.stream(`${url}/closing`, {
        ...closing.r,
        text: (chunk) => {
          closing.r.text(chunk);
          // As the session stream does on close_stream: stop in the very callback that heard it.
          stopClosing();
          resolve();
        },
      });
    });
    await heardClose;
    await http.post(`${url}/next`, '{}', 1000);
    expect(closing.heard).toEqual(['data: {"msg":"close_stream"}\n\n']);
    expect(open.heard).toEqual([]);
    expect(connections - before).toBe(1);
    http.close();
  });

  it('fails a stream, and rejects a POST, whose connection is cut mid-answer', async () => {
    const url = await serve((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write(req.method === 'GET' ? 'data: 1\n\n' : '{"event_');
      setImmediate(() => res.socket?.destroy());
    });
    const http = nodeSseHttp(new Deadlines());
    const { r, heard } = reader();
    http.stream(`${url}/data`, r);
    await vi.waitFor(() => expect(heard.length).toBeGreaterThanOrEqual(2));
    expect(heard[0]).toBe('data: 1\n\n');
    expect(heard[1]).toMatch(/^fail /);
    await expect(http.post(`${url}/join`, '{}', 10_000)).rejects.toThrow();
    // Heard once, though the cut is both an 'error' and a 'close'.
    expect(heard).toHaveLength(2);
    http.close();
  });
});
