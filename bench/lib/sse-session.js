// @ts-check
// A bare sse_v3 session over node:http (keep-alive): jobs join with a POST and hear their messages on the
// session's one stream, as Gradio's clients do. The bench's raw driver of the dialect, beside the raw
// 3.x socket of ws-job.js, so a ratio compares the dialects and not two client libraries.
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';

const PREFIX = '/gradio_api';

/**
 * @typedef {{ msg: string, event_id?: string, [key: string]: unknown }} Message
 * @typedef {{ onMessage: (m: Message, at: number) => void }} Listener
 */

/**
 * @param {string} url server URL (http://…)
 * @param {{ now?: () => number }} [options] the clock each message is stamped with
 */
export function sseSession(url, { now = () => performance.now() } = {}) {
  const agent = new Agent({ keepAlive: true });
  const hash = randomBytes(8).toString('hex');
  /** @type {Map<string, Listener>} */
  const listeners = new Map();
  /** Messages heard before their join's answer (the event id) came back. */
  /** @type {Map<string, { m: Message, at: number }[]>} */
  const early = new Map();
  /** @type {import('node:http').ClientRequest | null} */
  let stream = null;

  /** @param {Message} m @param {number} at */
  function deliver(m, at) {
    if (m.event_id === undefined) return;
    const listener = listeners.get(m.event_id);
    if (listener) listener.onMessage(m, at);
    else early.set(m.event_id, [...(early.get(m.event_id) ?? []), { m, at }]);
  }

  function open() {
    const req = request(`${url}${PREFIX}/queue/data?session_hash=${hash}`, { agent });
    stream = req;
    req.on('response', (res) => {
      res.setEncoding('utf8');
      let buffered = '';
      res.on('data', (/** @type {string} */ chunk) => {
        const at = now();
        buffered += chunk;
        // The server writes one `data: <json>` line per event, each ended by a blank line.
        const frames = buffered.split('\n\n');
        buffered = frames.pop() ?? '';
        for (const frame of frames) {
          if (!frame.startsWith('data: ')) continue;
          const m = JSON.parse(frame.slice('data: '.length));
          if (m.msg === 'close_stream') {
            if (stream === req) stream = null;
          } else deliver(m, at);
        }
      });
      res.on('end', () => {
        if (stream === req) stream = null;
        // Events joined while this stream was closing are told on the next one.
        if (listeners.size > 0 && stream === null) open();
      });
    });
    req.on('error', () => {
      if (stream === req) stream = null;
    });
    req.end();
  }

  /** @param {string} path @param {unknown} body @returns {Promise<{ status: number, body: any }>} */
  function post(path, body) {
    return new Promise((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = request(`${url}${PREFIX}${path}`, {
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (/** @type {string} */ c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Joins a job; `onMessage` hears every message of its event until `process_completed`.
   * @param {unknown[]} data
   * @param {Listener['onMessage']} onMessage
   * @returns {Promise<{ status: number, eventId?: string }>} the join's answer (503 when the queue is full)
   */
  async function join(data, onMessage) {
    const answer = await post('/queue/join', { data, fn_index: 0, session_hash: hash, event_data: null });
    if (answer.status !== 200) return { status: answer.status };
    const eventId = /** @type {string} */ (answer.body.event_id);
    listeners.set(eventId, {
      onMessage: (m, at) => {
        if (m.msg === 'process_completed') listeners.delete(eventId);
        onMessage(m, at);
      },
    });
    for (const { m, at } of early.get(eventId) ?? []) listeners.get(eventId)?.onMessage(m, at);
    early.delete(eventId);
    if (stream === null) open();
    return { status: 200, eventId };
  }

  /** One job; resolves with its latency in ms. @param {unknown[]} data */
  function runJob(data) {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      join(data, (m) => {
        if (m.msg !== 'process_completed') return;
        if (m.success) resolve(performance.now() - started);
        else reject(new Error(JSON.stringify(m.output)));
      }).then((answer) => {
        if (answer.status !== 200) reject(new Error(`join answered ${answer.status}`));
      }, reject);
    });
  }

  return {
    join,
    runJob,
    close: () => {
      stream?.destroy();
      agent.destroy();
    },
  };
}
