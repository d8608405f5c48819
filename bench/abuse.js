// @ts-check
// Issues 21 and 24: a legitimate client's jobs/s and latency, and the server's event-loop delay p99,
// while one attacker address (127.0.0.2) does its worst, each beside the same client on a quiet
// server, as ratios. Three processes: the server (bench/servers/abuse-server.js), the attacker
// (bench/servers/abuse-attacker.js) and the legitimate client (this one), so no side's work is
// counted against another's event loop. Also the cost of parsing a large frame, per MiB.
import { startChild } from './lib/child.js';
import { saturate, wsJob } from './lib/load.js';
import { fmt, quantile, table } from './lib/stats.js';

/** Issue 24: a legitimate client's jobs/s under one attacker connection, against a quiet server. */
const TARGET_RATIO = 0.8;
/**
 * Each attack, and the server's options where not its defaults.
 * @type {{ name: string, attack: string, options?: { maxPayloadBytes?: number, prefetchGraceMs?: number } }[]}
 */
const CASES = [
  { name: 'join flood', attack: 'join flood' },
  // The default before issue 21.4's last step, to show what shortening it bought.
  { name: 'join flood, 500 ms grace', attack: 'join flood', options: { prefetchGraceMs: 500 } },
  { name: 'max-size frames', attack: 'max-size frames' },
  // The default before issue 21.5, to show what lowering it bought.
  { name: 'max-size frames, 16 MiB', attack: 'max-size frames', options: { maxPayloadBytes: 16 * 1024 * 1024 } },
  { name: 'slow static readers', attack: 'slow static readers' },
  // Issue 24.2's attacker: one connection at a time, ~2.4 MiB/s.
  { name: 'nested JSON', attack: 'nested JSON' },
  // The same unthrottled (the loopback's speed, ~100× that): shown, no target.
  { name: 'nested JSON, loopback speed', attack: 'nested JSON, loopback speed' },
  { name: 'slow bodies', attack: 'slow bodies' },
];
/** Cases whose attack is one connection at a time (issue 24's target applies to them). */
const ONE_CONNECTION = new Set(['nested JSON']);

/**
 * @param {{ child: import('node:child_process').ChildProcess }} server
 * @returns {Promise<{ delayP99Ms: number, delayMaxMs: number, rssMiB: number, cpuPercent: number }>}
 */
function serverDelay(server) {
  return new Promise((resolve) => {
    /** @param {any} m */
    const onMessage = (m) => {
      if (typeof m?.delayP99Ms !== 'number') return;
      server.child.off('message', onMessage);
      resolve(m);
    };
    server.child.on('message', onMessage);
    server.child.send('delay');
  });
}

/**
 * The legitimate client (2 jobs in flight, each on its own socket) on a fresh server, with `attack`
 * (or none) running from the attacker's process meanwhile.
 * @param {string | undefined} attack
 * @param {{ warmupMs: number, measureMs: number }} window
 * @param {{ maxPayloadBytes?: number, prefetchGraceMs?: number } | undefined} options the server's, where not its defaults
 */
async function measure(attack, window, options) {
  const server = await startChild('servers/abuse-server.js', options === undefined ? [] : [JSON.stringify(options)]);
  // The attacker sizes its frames to the server's limit.
  const payload = options?.maxPayloadBytes === undefined ? [] : [String(options.maxPayloadBytes)];
  const attacker =
    attack === undefined ? undefined : await startChild('servers/abuse-attacker.js', [attack, server.url, ...payload]);
  try {
    const legit = await saturate(wsJob(server.url, ['hello']), {
      inFlight: 2,
      ...window,
      // Resets the server's histogram as the window opens, reads it as it closes.
      probe: () => serverDelay(server),
    });
    const { before: _reset, after, ...rest } = legit;
    return { ...rest, ...after };
  } finally {
    await attacker?.stop();
    await server.stop();
  }
}

/** JSON.parse of a frame like the data frames a client sends, in ms per MiB (this process, this machine). */
function parseCostPerMiB() {
  const MiB = 1024 * 1024;
  const base64 = JSON.stringify({ data: ['A'.repeat(4 * MiB)] });
  const parts = [];
  for (let length = 0; length < 4 * MiB; length += 11) parts.push((Math.random() - 0.5).toFixed(8));
  const numbers = JSON.stringify({ data: [parts.map(Number)] });
  /** @param {string} text */
  const perMiB = (text) => {
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      JSON.parse(text);
      best = Math.min(best, performance.now() - t0);
    }
    return best / (text.length / MiB);
  };
  return { base64MsPerMiB: perMiB(base64), numbersMsPerMiB: perMiB(numbers) };
}

/** @param {{ quick?: boolean }} options */
export async function abuse({ quick = false } = {}) {
  const window = quick ? { warmupMs: 1000, measureMs: 3000 } : { warmupMs: 2000, measureMs: 6000 };
  // Quiet rates on this shared 2-core machine drift by up to 2× between runs of one case: each case's
  // quiet and attacked runs alternate `rounds` times, and the row shows the pair with the median ratio.
  const rounds = quick ? 1 : 3;
  const parse = parseCostPerMiB();
  /** @type {Record<string, unknown>} */
  const results = { parse, rounds };
  /** @type {string[][]} */
  const rows = [];
  for (const { name, attack, options } of CASES) {
    const pairs = [];
    for (let round = 0; round < rounds; round++) {
      // The quiet run beside each attack, so machine drift between cases does not enter the ratio.
      const quiet = await measure(undefined, window, options);
      const attacked = await measure(attack, window, options);
      pairs.push({ quiet, attacked, ratio: attacked.jobsPerSecond / quiet.jobsPerSecond });
    }
    const ratios = pairs.map((p) => p.ratio);
    const median = quantile(ratios, 0.5);
    const { quiet, attacked, ratio } = /** @type {(typeof pairs)[number]} */ (pairs.find((p) => p.ratio === median));
    const target = ONE_CONNECTION.has(attack) ? TARGET_RATIO : null;
    results[name] = { pairs, ratio, target };
    const range = rounds > 1 ? ` (${fmt(Math.min(...ratios))}–${fmt(Math.max(...ratios))})` : '';
    rows.push([
      name,
      fmt(quiet.jobsPerSecond, 0),
      fmt(attacked.jobsPerSecond, 0),
      `${fmt(ratio)}${range}${target === null ? '' : ratio >= target ? ` (≥ ${target} ✓)` : ` (< ${target} ✗)`}`,
      `${fmt(quiet.p50, 1)} / ${fmt(attacked.p50, 1)}`,
      `${fmt(quiet.p99, 1)} / ${fmt(attacked.p99, 1)}`,
      `${fmt(quiet.delayP99Ms, 1)} / ${fmt(attacked.delayP99Ms, 1)}`,
      `${fmt(quiet.rssMiB, 0)} / ${fmt(attacked.rssMiB, 0)}`,
      `${fmt(quiet.cpuPercent, 0)} / ${fmt(attacked.cpuPercent, 0)}`,
    ]);
  }
  console.log('\n## abuse: a legitimate client (2 jobs in flight) beside one attacker address\n');
  console.log(
    `JSON.parse here: ${fmt(parse.base64MsPerMiB)} ms per MiB of a base64 string, ` +
      `${fmt(parse.numbersMsPerMiB)} ms per MiB of numbers\n`,
  );
  table(
    [
      'attack',
      'quiet jobs/s',
      'attacked jobs/s',
      rounds > 1 ? `ratio, median of ${rounds} (range)` : 'ratio',
      'p50 ms quiet / attacked',
      'p99 ms quiet / attacked',
      'loop delay p99 ms quiet / attacked',
      'server RSS MiB quiet / attacked',
      // Of one core, over the measured window: the legitimate client's jobs and the attack together.
      'server CPU % quiet / attacked',
    ],
    rows,
  );
  return results;
}
