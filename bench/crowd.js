// @ts-check
// Issue 6: one server process holding a crowd of waiting WebSocket clients (a load-generating child
// process, both on loopback): how long one estimation round takes to reach all of them, the
// server's memory per waiting client, its event-loop delay meanwhile, and that all complete. The
// same round from a bare `ws` server that writes one frame per socket in a loop is the floor: what
// the machine allows.
import { execSync, fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { AUTO_MAX_INTERVAL_MS } from '@crowdserve/queue';
import { startChild } from './lib/child.js';
import { fmt, quantile, table } from './lib/stats.js';

const TARGETS = { roundMs: 250, bytesPerClient: 20 * 1024, lagP99Ms: 50 };
const ROUNDS = 3;
/**
 * Rounds made and not timed first, on both servers: a server that holds a crowd has made rounds
 * before, and the first few run code V8 has not optimized yet (in one process, a 10,000-job queue
 * step takes ~45 ms the first time, ~25 ms the next few, ~8 ms once optimized).
 */
const WARM_UP_ROUNDS = 3;
const CONCURRENCY = 4;
/**
 * Rounds are this far apart: far back in a long line a client hears at most every tenth of its wait
 * (up to AUTO_MAX_INTERVAL_MS), so a move reaches all of them only once that much time has passed.
 */
const ROUND_GAP_MS = AUTO_MAX_INTERVAL_MS + 200;

/**
 * Sends `message` to a child and resolves with its next reply that has `key`.
 * @param {import('node:child_process').ChildProcess} child @param {unknown} message @param {string} key
 * @returns {Promise<any>}
 */
function ask(child, message, key) {
  return new Promise((resolve) => {
    const on = (/** @type {any} */ m) => {
      if (m && typeof m === 'object' && key in m) {
        child.off('message', on);
        resolve(m);
      }
    };
    child.on('message', on);
    child.send(/** @type {any} */ (message));
  });
}

/** The open-files limit children inherit (each socket is a file descriptor on both sides). */
function openFilesLimit() {
  try {
    return Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim());
  } catch {
    return NaN;
  }
}

/** The median of one field of some records. @param {any[]} records @param {string} key */
const median = (records, key) =>
  quantile(
    records.map((r) => r[key]),
    0.5,
  );

/** The load generator: a child process holding the crowd's sockets. */
async function startCrowd() {
  const child = fork(fileURLToPath(new URL('./lib/crowd-client.js', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: ['--expose-gc'],
  });
  await new Promise((resolve) => child.once('message', resolve));
  return {
    child,
    stop: async () => {
      const exited = new Promise((resolve) =>
        child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve),
      );
      child.send('stop');
      await exited;
    },
  };
}

/**
 * A young generation big enough for a round: while the line idles between rounds V8's memory
 * reducer shrinks the young generation to ~1 MB, and a round to 10,000 clients (a few MB of
 * short-lived frames and buffers) then runs through several scavenges, now and then an
 * incremental mark too. The bench shows the round with Node's defaults (the target) and with this.
 */
const TUNED_FLAGS = ['--max-semi-space-size=32'];

/**
 * crowdserve: connect the crowd, measure memory, rounds and event-loop delay, then drain.
 * @param {number} n @param {string[]} [nodeFlags] for the server process, besides CROWD_SERVER_FLAGS
 */
async function crowdserveRun(n, nodeFlags = []) {
  const flags = [...(process.env.CROWD_SERVER_FLAGS ?? '').split(' ').filter(Boolean), ...nodeFlags];
  const chunk = process.env.CROWD_STATUS_CHUNK ?? '';
  const server = await startChild('servers/crowd-server.js', [String(CONCURRENCY), chunk], ['--expose-gc', ...flags]);
  const crowd = await startCrowd();
  try {
    const before = (await ask(server.child, 'memory', 'memory')).memory;
    const connected = await ask(crowd.child, { connect: { url: server.url, n } }, 'connected');
    const after = await ask(server.child, 'memory', 'memory');
    const waiting = after.stats.waiting;
    const perClient = {
      rss: (after.memory.rss - before.rss) / waiting,
      heap: (after.memory.heapUsed - before.heapUsed) / waiting,
      external: (after.memory.external - before.external) / waiting,
    };
    // A round: the client at the front of the line leaves; everyone behind moves up one and must hear it.
    const rounds = [];
    for (let i = 0; i < WARM_UP_ROUNDS + ROUNDS; i++) {
      if (i === WARM_UP_ROUNDS) {
        await ask(server.child, 'lag-start', 'ok');
        rounds.length = 0;
      }
      await new Promise((resolve) => setTimeout(resolve, ROUND_GAP_MS));
      const { at } = (await ask(crowd.child, { leave: true }, 'left')).left;
      rounds.push({ ...(await ask(crowd.child, { round: { since: at } }, 'round')).round, ms: NaN, at });
      const r = /** @type {any} */ (rounds.at(-1));
      r.ms = r.lastAt - at;
    }
    const { lag, rounds: serverRounds } = await ask(server.child, 'lag-stop', 'lag');
    // Both sides counted the same timed rounds: when the server noticed the close, and how long the
    // crowd took to read the last frame after the server wrote it (one machine, one clock).
    rounds.forEach((r, i) => {
      const s = serverRounds[i];
      r.noticedMs = s === undefined ? NaN : s.startedAt - r.at;
      r.tailMs = s === undefined ? NaN : r.lastAt - (s.startedAt + s.writtenMs);
    });
    await ask(server.child, 'lag-start', 'ok');
    const drainAt = (await ask(server.child, 'drain', 'at')).at;
    const drained = (await ask(crowd.child, { drain: {} }, 'drained')).drained;
    const drainLag = (await ask(server.child, 'lag-stop', 'lag')).lag;
    return {
      connected,
      waiting,
      perClient,
      rounds,
      serverRounds,
      lag,
      drain: { ...drained, seconds: (drained.at - drainAt) / 1000, lag: drainLag },
    };
  } finally {
    await crowd.stop();
    await server.stop();
  }
}

/** The floor: the same crowd on a bare ws server that writes one frame to each socket in a loop. @param {number} n */
async function floorRun(n) {
  const server = await startChild('servers/crowd-floor-server.js');
  const crowd = await startCrowd();
  try {
    await ask(crowd.child, { connect: { url: server.url, n, bare: true } }, 'connected');
    const rounds = [];
    for (let i = 0; i < WARM_UP_ROUNDS + ROUNDS; i++) {
      if (i === WARM_UP_ROUNDS) rounds.length = 0;
      // As far apart as crowdserve's rounds: after seconds idle, a round starts with cold caches.
      await new Promise((resolve) => setTimeout(resolve, ROUND_GAP_MS));
      const sent = await ask(server.child, 'broadcast', 'at');
      const r = (await ask(crowd.child, { round: { since: sent.at } }, 'round')).round;
      rounds.push({ ...r, ms: r.lastAt - sent.at, loopMs: sent.ms });
    }
    return { rounds };
  } finally {
    await crowd.stop();
    await server.stop();
  }
}

/** @param {{ quick?: boolean, clients?: number }} options */
export async function crowd({ quick = false, clients } = {}) {
  const limit = openFilesLimit();
  const wanted = clients ?? Number(process.env.CROWD_CLIENTS ?? (quick ? 2_000 : 10_000));
  // Each process holds one side of every socket, plus a few hundred descriptors of its own.
  const n = Number.isFinite(limit) ? Math.min(wanted, limit - 500) : wanted;
  console.log(`\n## Crowd: ${n} waiting WebSocket clients on one server process (loopback)\n`);
  console.log(`open-files limit ${limit} per process (server and load generator each hold ${n} sockets)`);
  if (n < wanted) console.log(`note: limited to ${n} clients by the open-files limit; raise it with ulimit -n`);
  console.log(`machine: load average ${(loadavg()[0] ?? 0).toFixed(2)} (1 min), shared with other work\n`);

  const ours = await crowdserveRun(n);
  const tuned = await crowdserveRun(n, TUNED_FLAGS);
  const floor = await floorRun(n);
  const roundMs = ours.rounds.map((r) => r.ms);
  const tunedMs = tuned.rounds.map((r) => r.ms);
  const floorMs = floor.rounds.map((r) => r.ms);
  const everyoneHeard = ours.rounds.every((r) => r.heard === r.waiting && r.consistent);
  const { perClient, lag, drain } = ours;
  const spread = (/** @type {any[]} */ rounds) =>
    `${fmt(
      quantile(
        rounds.map((r) => r.spread.p50),
        0.5,
      ),
      0,
    )} / ${fmt(
      quantile(
        rounds.map((r) => r.spread.p90),
        0.5,
      ),
      0,
    )}`;
  const allDone = drain.completed === n - drain.left;
  table(
    ['measure', 'crowdserve', 'target', 'ok', 'floor: bare ws loop'],
    [
      [
        `one estimation round reaches all waiting (${ROUNDS} rounds after ${WARM_UP_ROUNDS} untimed: median, max)`,
        `${fmt(quantile(roundMs, 0.5), 0)}, ${fmt(Math.max(...roundMs), 0)} ms`,
        `≤ ${TARGETS.roundMs} ms`,
        Math.max(...roundMs) <= TARGETS.roundMs ? 'yes' : 'NO',
        `${fmt(quantile(floorMs, 0.5), 0)}, ${fmt(Math.max(...floorMs), 0)} ms`,
      ],
      [
        "  the median round against the floor's, measured in the same run (a ratio; the floor runs last)",
        `${fmt(quantile(roundMs, 0.5) / quantile(floorMs, 0.5), 2)}×`,
        '',
        '',
        '1.00×',
      ],
      [
        '  server side: queue step, and last frame handed to the kernel (median)',
        `${fmt(median(ours.serverRounds, 'engineMs'), 0)} ms, ${fmt(median(ours.serverRounds, 'writtenMs'), 0)} ms`,
        '',
        '',
        `${fmt(median(floor.rounds, 'loopMs'), 0)} ms (one loop)`,
      ],
      [
        "  the client's close noticed by the server; last frame handed to the kernel to last read (median)",
        `${fmt(median(ours.rounds, 'noticedMs'), 1)} ms; ${fmt(median(ours.rounds, 'tailMs'), 0)} ms`,
        '',
        '',
        '',
      ],
      [
        `  the same, server run with ${TUNED_FLAGS.join(' ')}: round (median, max); queue step`,
        `${fmt(quantile(tunedMs, 0.5), 0)}, ${fmt(Math.max(...tunedMs), 0)} ms; ${fmt(median(tuned.serverRounds, 'engineMs'), 0)} ms`,
        '',
        Math.max(...tunedMs) <= TARGETS.roundMs ? '(yes)' : '(no)',
        '',
      ],
      [
        '  half / 90 % of the clients reached by (median round)',
        `${spread(ours.rounds)} ms`,
        '',
        '',
        `${spread(floor.rounds)} ms`,
      ],
      [
        '  every waiting client heard each round, ranks 0…n−1 once each',
        ours.rounds.map((r) => `${r.heard}/${r.waiting}`).join(', '),
        'all',
        everyoneHeard ? 'yes' : 'NO',
        floor.rounds.map((r) => `${r.heard}/${r.waiting}`).join(', '),
      ],
      [
        'server memory per waiting client: RSS delta / clients, after GC',
        `${fmt(perClient.rss / 1024, 1)} KB`,
        `≤ ${TARGETS.bytesPerClient / 1024} KB`,
        perClient.rss <= TARGETS.bytesPerClient ? 'yes' : 'NO',
        '',
      ],
      [
        '  of which JS heap / external (Buffers)',
        `${fmt(perClient.heap / 1024, 1)} / ${fmt(perClient.external / 1024, 1)} KB`,
        '',
        '',
        '',
      ],
      [
        'server event-loop delay during the rounds (p50 / p99 / max)',
        `${fmt(lag.p50, 1)} / ${fmt(lag.p99, 1)} / ${fmt(lag.max, 1)} ms`,
        `p99 ≤ ${TARGETS.lagP99Ms} ms`,
        lag.p99 <= TARGETS.lagP99Ms ? 'yes' : 'NO',
        `blocks the loop ${fmt(median(floor.rounds, 'loopMs'), 0)} ms a round`,
      ],
      [
        `all complete when the endpoint drains (concurrencyCount ${CONCURRENCY})`,
        `${drain.completed}/${n - drain.left} in ${fmt(drain.seconds, 1)} s, ${drain.failed} failed`,
        'all',
        allDone ? 'yes' : 'NO',
        '',
      ],
      [
        '  while draining: event-loop delay p50 / p99 / max; estimations per client',
        `${fmt(drain.lag.p50, 1)} / ${fmt(drain.lag.p99, 1)} / ${fmt(drain.lag.max, 1)} ms; ${fmt(drain.estimations / n, 1)}`,
        '',
        '',
        '',
      ],
      ['  connecting the crowd', `${fmt(ours.connected.seconds, 1)} s, ${ours.connected.failed} failed`, '', '', ''],
    ],
  );
  console.log(
    `(${drain.left} clients left on purpose to make the rounds; a round is timed from that client's close to the last frame read.)`,
  );
  return {
    clients: n,
    openFilesLimit: limit,
    targets: TARGETS,
    crowdserve: ours,
    tuned: { flags: TUNED_FLAGS, rounds: tuned.rounds, serverRounds: tuned.serverRounds, lag: tuned.lag },
    floor,
    everyoneHeard,
    allDone,
  };
}
