// @ts-check
// Closed-loop load on a crowdserve server: `inFlight` clients, each running one job after another,
// with the request serialized once up front so the load generator's own JSON work stays out of
// the figures. Two transports: the Gradio-3 queue socket (a fresh socket per job, data sent when
// the server asks, `send_data`: once the job is among the next batches) and `POST /run/{api}`
// (kept-alive connections, data sent with the request).
import { Agent, request } from 'node:http';
import { WebSocket } from 'ws';
import { quantile } from './stats.js';

const HASH = JSON.stringify({ fn_index: 0, session_hash: 'bench' });

/**
 * The load generator stands in for users on other machines, so its own CPU is kept small: a zero
 * mask lets `ws` skip masking the 85 kB data frame (the server unmasks it all the same). Masks are
 * there against proxy cache poisoning (RFC 6455 §10.3), which has no place on loopback.
 */
const zeroMask = () => {};

/** @typedef {() => Promise<number>} Job one job; resolves with its latency in ms */

/**
 * Jobs over the queue socket, each on its own socket, as Gradio 3 clients do.
 * @param {string} url server URL (http://…)
 * @param {unknown[]} data
 * @returns {Job}
 */
export function wsJob(url, data) {
  const message = JSON.stringify({ data, event_data: null, fn_index: 0, session_hash: 'bench' });
  const socketUrl = `${url.replace(/^http/, 'ws')}/queue/join`;
  return () => {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(socketUrl, { perMessageDeflate: false, generateMask: zeroMask });
      let done = false;
      ws.on('message', (raw) => {
        const text = raw.toString();
        // Only the handshake and the terminal messages matter; the rest is not parsed.
        if (text.includes('"send_hash"')) ws.send(HASH);
        else if (text.includes('"send_data"')) ws.send(message);
        else if (text.includes('"process_completed"') || text.includes('"queue_full"')) {
          done = true;
          const m = JSON.parse(text);
          if (m.msg === 'process_completed' && m.success) resolve(performance.now() - started);
          else reject(new Error(m.output?.error ?? m.msg));
        }
      });
      ws.on('error', reject);
      ws.on('close', () => {
        if (!done) reject(new Error('closed without a terminal message'));
      });
    });
  };
}

/**
 * Jobs over `POST /run/{apiName}` on kept-alive connections.
 * @param {string} url server URL (http://…)
 * @param {string} apiName without the slash
 * @param {unknown[]} data
 * @returns {Job & { close: () => void }}
 */
export function httpJob(url, apiName, data) {
  const body = Buffer.from(JSON.stringify({ data }));
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const target = new URL(`/run/${apiName}`, url);
  const job = () => {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(
        target,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          /** @type {Buffer[]} */
          const chunks = [];
          res.on('data', (chunk) => chunks.push(chunk));
          res.on('end', () => {
            if (res.statusCode === 200) resolve(performance.now() - started);
            else reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 200)}`));
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
  return Object.assign(job, { close: () => agent.destroy() });
}

/**
 * One `POST /run/{apiName}`; resolves with the response's output `data`.
 * @param {string} url server URL (http://…)
 * @param {string} apiName without the slash
 * @param {unknown[]} data
 * @returns {Promise<unknown[]>}
 */
export function predict(url, apiName, data) {
  const body = Buffer.from(JSON.stringify({ data }));
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(`/run/${apiName}`, url),
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode === 200) resolve(JSON.parse(text).data);
          else reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Keeps `inFlight` jobs running for `warmupMs + measureMs`; counts the jobs that complete in the
 * measuring window (after the warm-up), so the figure is the server's saturated rate.
 * @param {Job} job
 * @param {{ inFlight: number, warmupMs: number, measureMs: number, probe?: () => Promise<any> }} options
 *   `probe` is called at the start and end of the window (e.g. to read the server's counters).
 */
export async function saturate(job, { inFlight, warmupMs, measureMs, probe }) {
  /** @type {number[]} */
  const latencies = [];
  let stopping = false;
  let windowStart = Infinity;
  let windowEnd = Infinity;
  const client = async () => {
    while (!stopping) {
      const latency = await job();
      const now = performance.now();
      if (now >= windowStart && now <= windowEnd) latencies.push(latency);
    }
  };
  const clients = Promise.all(Array.from({ length: inFlight }, client));
  // A failed job rejects `clients`, which ends the run at once with its error.
  const wait = (/** @type {number} */ ms) => Promise.race([sleep(ms), clients]);
  await wait(warmupMs);
  const before = await probe?.();
  const clientCpuBefore = process.cpuUsage();
  windowStart = performance.now();
  windowEnd = windowStart + measureMs;
  await wait(measureMs);
  const after = await probe?.();
  const clientCpu = process.cpuUsage(clientCpuBefore);
  stopping = true;
  await clients;
  return {
    jobs: latencies.length,
    jobsPerSecond: latencies.length / (measureMs / 1000),
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    /** The load generator's CPU per job (ms): it shares the machine with the server. */
    clientCpuPerJobMs: (clientCpu.user + clientCpu.system) / 1000 / latencies.length,
    before,
    after,
  };
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
