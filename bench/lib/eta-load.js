// @ts-check
// Poisson arrivals of Gradio-3 clients against a real server, each recording every `estimation` it
// is told and when its result came: the trace the ETA bench scores. On `sse_v3` each arrival is its own
// session (one user, one stream), as a page of Gradio's frontend is. Given several URLs (processes sharing
// one queue), arrivals go to them round-robin.
import { WebSocket } from 'ws';
import { random } from './eta-sim.js';
import { sseSession } from './sse-session.js';

const HASH = JSON.stringify({ fn_index: 0, session_hash: 'eta' });
const DATA = JSON.stringify({ data: ['x'], event_data: null, fn_index: 0, session_hash: 'eta' });
/** Wall-clock ms with sub-ms precision, comparable across processes on one machine. */
export const epochMs = () => performance.timeOrigin + performance.now();

/**
 * @param {{ url: string | string[], jobs: number, arrivalsPerSecond: number, seed?: number, dialect?: 'ws' | 'sse_v3' }} o
 * @returns {Promise<{ estimates: import('./eta-trace.js').EstimateRecord[], completions: Map<string, number>, jobIds: string[], failures: number }>}
 */
export async function poissonLoad({ url, jobs, arrivalsPerSecond, seed = 7, dialect = 'ws' }) {
  const rand = random(seed);
  /** @type {import('./eta-trace.js').EstimateRecord[]} */
  const estimates = [];
  const completions = new Map();
  /** @type {string[]} */
  const jobIds = [];
  let failures = 0;
  /** @type {Promise<void>[]} */
  const running = [];
  const urls = Array.isArray(url) ? url : [url];
  const started = epochMs();
  let due = started;
  for (let i = 0; i < jobs; i++) {
    due += (-Math.log(1 - rand()) / arrivalsPerSecond) * 1000;
    const wait = due - epochMs();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const jobId = String(i);
    jobIds.push(jobId);
    const server = /** @type {string} */ (urls[i % urls.length]);
    if (dialect === 'sse_v3') {
      running.push(
        new Promise((resolve) => {
          const session = sseSession(server, { now: epochMs });
          const end = () => {
            session.close();
            resolve();
          };
          session
            .join(['x'], (m, at) => {
              if (m.msg === 'estimation') {
                estimates.push({
                  jobId,
                  at,
                  rank: Number(m['rank']),
                  rankEta: /** @type {number | null} */ (m['rank_eta']),
                });
              } else if (m.msg === 'process_completed') {
                if (m['success']) completions.set(jobId, at);
                else failures++;
                end();
              }
            })
            .then(
              (answer) => {
                if (answer.status !== 200) {
                  failures++;
                  end();
                }
              },
              () => {
                failures++;
                end();
              },
            );
        }),
      );
      continue;
    }
    running.push(
      new Promise((resolve) => {
        const ws = new WebSocket(`${server.replace(/^http/, 'ws')}/queue/join`, { perMessageDeflate: false });
        ws.on('message', (raw) => {
          const at = epochMs();
          const m = JSON.parse(raw.toString());
          if (m.msg === 'send_hash') ws.send(HASH);
          else if (m.msg === 'estimation') estimates.push({ jobId, at, rank: m.rank, rankEta: m.rank_eta });
          else if (m.msg === 'send_data') ws.send(DATA);
          else if (m.msg === 'process_completed') {
            if (m.success) completions.set(jobId, at);
            else failures++;
          } else if (m.msg === 'queue_full') failures++;
        });
        ws.on('error', () => {});
        ws.on('close', () => resolve());
      }),
    );
  }
  await Promise.all(running);
  return { estimates, completions, jobIds, failures };
}
