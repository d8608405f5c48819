// @ts-check
// Drives the queue engine on a simulated clock: Poisson arrivals, service times drawn from a model,
// every effect executed as a host would. Deterministic for a seed; thousands of jobs in a second.
import { QueueEngine } from '@crowdserve/queue';

/** A small seeded PRNG (mulberry32): the same seed gives the same trace. @param {number} seed */
export function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * @typedef {{
 *   concurrencyCount: number,
 *   endpoint: import('@crowdserve/queue').EndpointOptions,
 *   jobs: number,
 *   arrivalsPerSecond: number,
 *   serviceMs: (batchSize: number, rand: () => number) => number,
 *   seed?: number,
 *   dataRoundTripMs?: number,
 * }} SimOptions
 */

/**
 * @param {SimOptions} o
 * @returns {import('./eta-trace.js').EtaTrace & { jobIds: string[] }}
 */
export function simulate(o) {
  const rand = random(o.seed ?? 1);
  let now = 0;
  /** @type {{ at: number, seq: number, run: () => void }[]} */
  const agenda = [];
  let seq = 0;
  const at = (/** @type {number} */ t, /** @type {() => void} */ run) => {
    agenda.push({ at: t, seq: seq++, run });
  };
  const engine = new QueueEngine({
    concurrencyCount: o.concurrencyCount,
    endpoints: [o.endpoint],
    clock: () => now,
  });
  /** @type {import('./eta-trace.js').EtaTrace & { jobIds: string[] }} */
  const trace = {
    concurrencyCount: o.concurrencyCount,
    estimates: [],
    completions: new Map(),
    batches: [],
    jobIds: [],
  };
  /** @type {Map<number, number>} batch id → when its slot was taken */
  const picked = new Map();
  const rtt = o.dataRoundTripMs ?? 0;

  /** @param {import('@crowdserve/queue').Effect[]} effects */
  const execute = (effects) => {
    for (const effect of effects) {
      switch (effect.type) {
        case 'estimate':
          trace.estimates.push({
            jobId: effect.jobId,
            at: now,
            rank: effect.estimation.rank,
            rankEta: effect.estimation.rankEta,
          });
          break;
        case 'requestData':
          at(now + rtt, () => execute(engine.dataReceived(effect.jobId)));
          break;
        case 'startBatch': {
          const start = now - rtt;
          const run = o.serviceMs(effect.jobIds.length, rand);
          picked.set(effect.batchId, start);
          at(now + run, () => {
            trace.batches.push({ start, end: now });
            execute(engine.batchFinished(effect.batchId, { ok: true, results: effect.jobIds.map(() => null) }));
          });
          break;
        }
        case 'end':
          trace.completions.set(effect.jobId, now + rtt / 2);
          break;
        case 'scheduleTick':
          at(effect.at, () => execute(engine.tick()));
          break;
        // A tick the engine no longer needs finds nothing to do when it comes: harmless in a simulation.
        case 'cancelTick':
        case 'reject':
        case 'abort':
          break;
      }
    }
  };

  // Each arrival schedules the next, so few events are pending at once and a scan finds the earliest.
  const arrive = (/** @type {number} */ i) => {
    if (i >= o.jobs) return;
    at(now + (-Math.log(1 - rand()) / o.arrivalsPerSecond) * 1000, () => {
      const id = String(i);
      trace.jobIds.push(id);
      execute(engine.join(id, 0));
      arrive(i + 1);
    });
  };
  arrive(0);
  while (agenda.length > 0) {
    let k = 0;
    for (let i = 1; i < agenda.length; i++) {
      const a = /** @type {{ at: number, seq: number }} */ (agenda[i]);
      const b = /** @type {{ at: number, seq: number }} */ (agenda[k]);
      if (a.at < b.at || (a.at === b.at && a.seq < b.seq)) k = i;
    }
    const next = /** @type {{ at: number, run: () => void }} */ (agenda[k]);
    agenda[k] = /** @type {any} */ (agenda[agenda.length - 1]);
    agenda.pop();
    now = Math.max(now, next.at);
    next.run();
  }
  return trace;
}
