import { WebSocket } from 'ws';
import type { ServerMessage } from '@crowdserve/protocol';
import { vi } from 'vitest';

/** A raw `/queue/join` client for transcript tests: records every frame and the close. */
export class RawJob {
  readonly messages: ServerMessage[] = [];
  closeCode: number | undefined;
  readonly socket: WebSocket;
  readonly opened: Promise<void>;

  constructor(url: string, options: { headers?: Record<string, string>; origin?: string } = {}) {
    this.socket = new WebSocket(`${url.replace(/^http/, 'ws')}/queue/join`, options);
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.opened.catch(() => {});
    this.socket.on('message', (raw) => this.messages.push(JSON.parse(raw.toString()) as ServerMessage));
    this.socket.on('close', (code) => (this.closeCode = code));
    this.socket.on('error', () => {});
  }

  send(value: unknown): void {
    this.socket.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  types(): string[] {
    return this.messages.map((m) => m.msg);
  }

  last(): ServerMessage | undefined {
    return this.messages.at(-1);
  }

  async waitFor(msg: ServerMessage['msg'], timeout = 5000): Promise<ServerMessage> {
    return vi.waitFor(
      () => {
        const found = this.messages.find((m) => m.msg === msg);
        if (found === undefined) throw new Error(`no ${msg} yet; got ${this.types().join(', ')}`);
        return found;
      },
      { timeout, interval: 5 },
    );
  }

  async waitClosed(timeout = 5000): Promise<number> {
    return vi.waitFor(
      () => {
        if (this.closeCode === undefined) throw new Error(`not closed; got ${this.types().join(', ')}`);
        return this.closeCode;
      },
      { timeout, interval: 5 },
    );
  }

  /**
   * Like `auto`, for several jobs whose order in the queue a test relies on: each joins (has its first
   * estimation) before the next opens its socket. Opened together, their joins could arrive in any order.
   * `until` another message (`send_data`: its data is on its way) when the test relies on that order too.
   */
  static async inOrder(
    url: string,
    fnIndex: number,
    data: unknown[][],
    until: ServerMessage['msg'] = 'estimation',
  ): Promise<RawJob[]> {
    const jobs: RawJob[] = [];
    for (const one of data) {
      const job = RawJob.auto(url, fnIndex, one);
      await job.waitFor(until);
      jobs.push(job);
    }
    return jobs;
  }

  /** Plays the client side of Gradio 3: answers send_hash and send_data as they come. */
  static auto(url: string, fnIndex: number, data: unknown[]): RawJob {
    const job = new RawJob(url);
    job.socket.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as ServerMessage;
      if (m.msg === 'send_hash') job.send({ fn_index: fnIndex, session_hash: 'test' });
      if (m.msg === 'send_data') job.send({ data, event_data: null, fn_index: fnIndex, session_hash: 'test' });
    });
    return job;
  }
}

/** A promise with its resolve function, for handlers that a test releases. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
