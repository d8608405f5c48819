// @ts-check
// A child process holding a crowd of Gradio-3 clients on their own sockets, driven by IPC from
// bench/crowd.js: it connects them, reports when each heard its first estimation, watches an
// estimation round reach every waiting client, and waits for all of them to complete.
import { setImmediate } from 'node:timers';
import { WebSocket } from 'ws';

const HASH = JSON.stringify({ fn_index: 0, session_hash: 'crowd' });
const DATA = JSON.stringify({ data: ['x'], event_data: null, fn_index: 0, session_hash: 'crowd' });
const epochMs = () => performance.timeOrigin + performance.now();

/**
 * How an estimation frame starts: the server writes its fields in Gradio's order, so a client reads
 * its rank from the bytes that follow, without a string of the frame or a `JSON.parse`. The load
 * generator stands in for 10,000 machines on one core: every microsecond it spends on a frame is
 * one the round waits for, and a real crowd does not share that core.
 */
const ESTIMATION_PREFIX = Buffer.from('{"msg":"estimation","rank":');

/**
 * The rank of an estimation frame, or -1 if `raw` is not one (or its rank is not a plain integer).
 * @param {Buffer} raw
 */
function estimationRank(raw) {
  if (
    raw.length <= ESTIMATION_PREFIX.length ||
    raw.compare(ESTIMATION_PREFIX, 0, ESTIMATION_PREFIX.length, 0, ESTIMATION_PREFIX.length) !== 0
  )
    return -1;
  let rank = 0;
  let i = ESTIMATION_PREFIX.length;
  for (; i < raw.length; i++) {
    const digit = /** @type {number} */ (raw[i]) - 0x30;
    if (digit < 0 || digit > 9) break;
    rank = rank * 10 + digit;
  }
  return i > ESTIMATION_PREFIX.length && raw[i] === 0x2c /* , */ ? rank : -1;
}

/** @typedef {{ ws: WebSocket, estimations: number, lastAt: number, lastRank: number, picked: boolean, done: boolean, failed: boolean, left: boolean }} Client */
/** @type {Client[]} */
const clients = [];
/**
 * The round being watched: each waiting client's first estimation after `since` counts it once, so
 * the load generator spends no CPU polling 10,000 clients while the server writes to them.
 * @type {{ since: number, heard: Set<Client>, wanted: number, done: () => void } | null}
 */
let watching = null;

/**
 * @param {string} url @param {number} n @param {number} inFlight connections opening at once
 * @param {boolean} bare the floor server: no handshake, a client is ready once open
 */
async function connect(url, n, inFlight, bare) {
  const wsUrl = `${url.replace(/^http/, 'ws')}/queue/join`;
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        next++;
        await new Promise((resolve) => {
          /** @type {Client} */
          const c = {
            // The server's frames are checked for UTF-8 by the tests; here it would be a scan per frame.
            ws: new WebSocket(wsUrl, { perMessageDeflate: false, skipUTF8Validation: true }),
            estimations: 0,
            lastAt: 0,
            lastRank: -1,
            picked: false,
            done: false,
            failed: false,
            left: false,
          };
          clients.push(c);
          if (bare) c.ws.once('open', () => resolve(undefined));
          c.ws.on('message', (/** @type {Buffer} */ raw) => {
            let rank = estimationRank(raw);
            const text = rank === -1 ? raw.toString() : '';
            if (rank !== -1 || text.includes('"estimation"')) {
              if (rank === -1) rank = JSON.parse(text).rank;
              c.estimations++;
              c.lastAt = epochMs();
              c.lastRank = rank;
              if (c.estimations === 1) resolve(undefined);
              if (watching !== null && !c.picked && c.lastAt >= watching.since) {
                watching.heard.add(c);
                if (watching.heard.size >= watching.wanted) watching.done();
              }
            } else if (text.includes('"send_hash"')) c.ws.send(HASH);
            else if (text.includes('"send_data"')) {
              // Asked for its data: picked, or prefetched while it still waits (it keeps hearing its rank).
              c.ws.send(DATA);
              resolve(undefined);
            } else if (text.includes('"process_starts"')) {
              c.picked = true;
            } else if (text.includes('"process_completed"')) {
              c.done = true;
              c.failed = !text.includes('"success":true');
              resolve(undefined);
            } else if (text.includes('"queue_full"')) {
              c.failed = true;
              resolve(undefined);
            }
          });
          c.ws.on('error', () => {
            c.failed = true;
            resolve(undefined);
          });
          c.ws.on('close', () => resolve(undefined));
        });
      }
    }),
  );
}

/**
 * Waits until every client still waiting heard an estimation after `since`, or `timeoutMs`.
 * @param {number} since @param {number} timeoutMs
 */
async function round(since, timeoutMs) {
  const isWaiting = (/** @type {Client} */ c) => !c.picked && !c.done && !c.left;
  const wanted = clients.filter(isWaiting).length;
  const heardSet = new Set(clients.filter((c) => isWaiting(c) && c.lastAt >= since));
  if (heardSet.size < wanted) {
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      // Seldom, in case a client stopped waiting meanwhile (picked, gone) and will never be heard.
      const check = setInterval(() => {
        if (clients.every((c) => !isWaiting(c) || c.lastAt >= since)) watching?.done();
      }, 50);
      watching = {
        since,
        heard: heardSet,
        wanted,
        done: () => {
          clearTimeout(timer);
          clearInterval(check);
          resolve(undefined);
        },
      };
    });
    watching = null;
  }
  const waiting = clients.filter(isWaiting);
  const heard = waiting.filter((c) => c.lastAt >= since);
  const ranks = new Set(heard.map((c) => c.lastRank));
  const lastAt = Math.max(...heard.map((c) => c.lastAt));
  const delays = heard.map((c) => c.lastAt - since).sort((a, b) => a - b);
  const at = (/** @type {number} */ q) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] ?? NaN;
  const spread = { p10: at(0.1), p50: at(0.5), p90: at(0.9) };
  // Every waiting client told a different rank, 0 … n − 1: the round was one consistent picture.
  const consistent = ranks.size === waiting.length && [...ranks].every((r) => r >= 0 && r < waiting.length);
  return { waiting: waiting.length, heard: heard.length, lastAt, consistent, spread };
}

/** @param {number} timeoutMs */
async function drained(timeoutMs) {
  const deadline = epochMs() + timeoutMs;
  for (;;) {
    const done = clients.filter((c) => c.done && !c.failed).length;
    const failed = clients.filter((c) => c.failed && !c.left).length;
    const left = clients.filter((c) => c.left).length;
    if (done + failed + left === clients.length || epochMs() > deadline) {
      const estimations = clients.reduce((sum, c) => sum + c.estimations, 0);
      return { completed: done, failed, left, at: epochMs(), estimations };
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The waiting client at the front of the line leaves (closes its socket): everyone behind moves up. */
function leave() {
  let front;
  for (const c of clients)
    if (!c.picked && !c.done && !c.left && (front === undefined || c.lastRank < front.lastRank)) front = c;
  const at = epochMs();
  if (front === undefined) return { at, left: false };
  front.left = true;
  front.ws.terminate();
  return { at, left: true };
}

/**
 * A full garbage collection of the crowd's heap, between rounds (run with --expose-gc). 10,000 clients
 * in one process keep ~40 MB alive and promote a few MB a round; left alone, V8 marks and compacts
 * that heap every few rounds, in the middle of one: ~40 ms of this process's main thread, and
 * marking threads taking CPU from the server, all of it an artifact of packing a crowd of machines
 * into one process.
 */
const collect = () => /** @type {{ gc?: () => void }} */ (globalThis).gc?.();

process.on('message', async (/** @type {any} */ m) => {
  if (m.connect) {
    const started = epochMs();
    await connect(m.connect.url, m.connect.n, m.connect.inFlight ?? 200, m.connect.bare === true);
    const failed = clients.filter((c) => c.failed).length;
    process.send?.({ connected: clients.length, failed, seconds: (epochMs() - started) / 1000 });
    setImmediate(collect);
  } else if (m.round) {
    process.send?.({ round: await round(m.round.since, m.round.timeoutMs ?? 10_000) });
    setImmediate(collect);
  } else if (m.leave) process.send?.({ left: leave() });
  else if (m.drain) process.send?.({ drained: await drained(m.drain.timeoutMs ?? 300_000) });
  else if (m === 'stop') {
    for (const c of clients) c.ws.terminate();
    process.exit(0);
  }
});
process.send?.({ ready: true });
