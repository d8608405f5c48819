// Test helpers (not shipped): an in-memory QueueTarget, and a scripted Gradio-3 server on loopback.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiInfo, AppConfig, ConfigDependency } from '@crowdserve/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Duplex, DuplexCloseEvent, QueueTarget } from '../src/transport.js';

function dependency(apiName: string | null, generator = false, batch = false): ConfigDependency {
  return {
    api_name: apiName,
    queue: null,
    batch,
    max_batch_size: batch ? 8 : 4,
    types: { continuous: false, generator },
    inputs: [],
    outputs: [],
    targets: [],
    backend_fn: true,
    cancels: [],
    every: null,
  };
}

/** A Gradio-3-shaped config: `predict` (0), an unnamed endpoint (1), `stream` (2, generator), `classify` (3, batched). */
export const TEST_CONFIG: AppConfig = {
  version: '3.50.2',
  mode: 'interface',
  enable_queue: true,
  dependencies: [
    dependency('predict'),
    dependency(null),
    dependency('stream', true),
    dependency('classify', false, true),
  ],
  components: [],
};

export const TEST_INFO: ApiInfo = {
  named_endpoints: {
    '/predict': {
      parameters: [
        {
          label: 'text',
          type: { type: 'string' },
          python_type: { type: 'str', description: '' },
          component: 'Textbox',
        },
      ],
      returns: [],
    },
  },
  unnamed_endpoints: {},
};

/** One side of an in-memory conversation: the test plays the server. */
export class FakeDuplex implements Duplex {
  readonly sent: string[] = [];
  closed = false;
  onmessage: ((text: string) => void) | null = null;
  onclose: ((event: DuplexCloseEvent) => void) | null = null;

  send(text: string): void {
    this.sent.push(text);
  }

  close(): void {
    this.closed = true;
  }

  /** The frames the client sent, parsed. */
  get frames(): unknown[] {
    return this.sent.map((text) => JSON.parse(text) as unknown);
  }

  /** Server → client: an object is sent as JSON, a string as is. */
  push(message: object | string): void {
    this.onmessage?.(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The server ends the conversation. */
  end(code = 1000, reason = ''): void {
    this.onclose?.({ code, reason });
  }
}

export interface FakeTarget extends QueueTarget {
  readonly duplexes: FakeDuplex[];
}

export function fakeTarget(config: AppConfig = TEST_CONFIG): FakeTarget {
  const duplexes: FakeDuplex[] = [];
  return {
    duplexes,
    config: () => config,
    info: () => TEST_INFO,
    open: () => {
      const duplex = new FakeDuplex();
      duplexes.push(duplex);
      return duplex;
    },
  };
}

/** One step a scripted server plays on a `/queue/join` connection. */
export type Step =
  /** Send a frame: an object as JSON, a string as is. */
  | { send: object | string }
  /** Wait for the client's next frame (recorded in `received`). */
  | { receive: true }
  /** Close the socket from the server's side. */
  | { close: number }
  /** Drop the TCP connection without a close frame. */
  | { terminate: true };

export interface ScriptedConnection {
  /** Client frames, parsed, in order. */
  readonly received: unknown[];
  /** The close code the server observed once the socket closed; `null` while open. */
  closeCode: number | null;
  /** Whether the script ran to its end (a client close stops it early). */
  finished: boolean;
}

export interface ScriptedServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  readonly connections: ScriptedConnection[];
  close(): Promise<void>;
}

/**
 * A Gradio-3 server that plays a transcript per connection (connection i plays `scripts[i]`, the
 * last one repeats), and serves `config` and `info`. After its script, a connection stays open
 * until the client closes it.
 */
export async function scriptedServer(
  scripts: Step[][],
  config: AppConfig = TEST_CONFIG,
  info: ApiInfo = TEST_INFO,
): Promise<ScriptedServer> {
  const http: Server = createServer((req, res) => {
    const body = req.url === '/config' ? config : req.url === '/info' ? info : null;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { detail: 'Not Found' }));
  });
  const wss = new WebSocketServer({ server: http, path: '/queue/join' });
  const connections: ScriptedConnection[] = [];
  wss.on('connection', (socket) => {
    const script = scripts[Math.min(connections.length, scripts.length - 1)] ?? [];
    const connection: ScriptedConnection = { received: [], closeCode: null, finished: false };
    connections.push(connection);
    void play(socket, script, connection);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      // Keep-alive fetch connections would hold close() open for seconds.
      http.closeAllConnections();
      await closed;
    },
  };
}

async function play(socket: WebSocket, script: Step[], connection: ScriptedConnection): Promise<void> {
  const inbox: unknown[] = [];
  let wake: (() => void) | null = null;
  socket.on('message', (data) => {
    inbox.push(JSON.parse(String(data)));
    wake?.();
  });
  const closed = new Promise<void>((resolve) =>
    socket.on('close', (code) => {
      connection.closeCode = code;
      resolve();
    }),
  );
  for (const step of script) {
    if (connection.closeCode !== null) return;
    if ('send' in step) socket.send(typeof step.send === 'string' ? step.send : JSON.stringify(step.send));
    else if ('close' in step) socket.close(step.close);
    else if ('terminate' in step) socket.terminate();
    else {
      while (inbox.length === 0 && connection.closeCode === null) {
        await Promise.race([new Promise<void>((resolve) => (wake = resolve)), closed]);
      }
      if (inbox.length === 0) return;
      connection.received.push(inbox.shift());
    }
  }
  connection.finished = true;
}

/** Transcript pieces, named as the protocol names them. */
export const say = {
  sendHash: { send: { msg: 'send_hash' } },
  sendData: { send: { msg: 'send_data' } },
  receive: { receive: true },
  estimation: (rank: number, queueSize: number, rankEta: number | null = null): Step => ({
    send: {
      msg: 'estimation',
      rank,
      queue_size: queueSize,
      avg_event_process_time: null,
      avg_event_concurrent_process_time: null,
      rank_eta: rankEta,
      queue_eta: 0,
    },
  }),
  starts: (eta: number | null = null): Step => ({ send: { msg: 'process_starts', eta } }),
  completed: (data: unknown[], duration = 0.1): Step => ({
    send: {
      msg: 'process_completed',
      output: { data, is_generating: false, duration, average_duration: duration },
      success: true,
    },
  }),
  failed: (error: string): Step => ({ send: { msg: 'process_completed', output: { error }, success: false } }),
  queueFull: (retryAfter?: number): Step => ({
    send: {
      msg: 'queue_full',
      queue_size: 2,
      max_size: 2,
      ...(retryAfter === undefined ? {} : { retry_after: retryAfter }),
    },
  }),
  close: (code = 1000): Step => ({ close: code }),
} satisfies Record<string, Step | ((...args: never[]) => Step)>;
