// @ts-check
// crowdserve holding a crowd: one endpoint whose calls wait at a gate the bench opens, so every
// client stays waiting until told. Its calls are expected to take EXPECTED_MS (the hint), so ETAs are
// known and hold still while the gate is shut. Run with --expose-gc. argv[2]: concurrencyCount.
// IPC: 'memory' → memoryUsage after GC; 'lag-start' / 'lag-stop' → event-loop delay and rounds in between;
// 'drain' → let every call through.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';
import { serve } from '@crowdserve/server/node';
import { QueueHost } from '../../packages/server/dist/core/queue-host.js';

const concurrencyCount = Number(process.argv[2] ?? 4);
/** Status frames written per event-loop turn (the server's default when absent). */
const statusChunkSize = process.argv[3] ? Number(process.argv[3]) : undefined;
const epochMs = () => performance.timeOrigin + performance.now();
/** Longer than the bench holds the gate shut: no call overruns its expected time meanwhile. */
const EXPECTED_MS = 120_000;
/** @type {(() => void)[]} */
const blocked = [];
let open = false;

const server = await serve({
  port: 0,
  host: '127.0.0.1',
  concurrencyCount,
  // The crowd comes from one address, and it is a bench: no per-address cap.
  maxConnectionsPerIp: null,
  heartbeatIntervalMs: 600_000,
  statusChunkSize,
  endpoints: {
    '/predict': {
      expectedDurationMs: EXPECTED_MS,
      fn: async () => {
        if (!open) await new Promise((resolve) => blocked.push(() => resolve(undefined)));
        return ['ok'];
      },
    },
  },
});

// The server's side of a round: from a client's leave (at `startedAt`, epoch ms) to the last status
// frame handed to the socket.
/** @type {{ startedAt: number, engineMs: number, writtenMs: number }[]} */
const rounds = [];
// Every queue host's leave is timed (this process runs one server): the bench wraps the host's method.
const leave = QueueHost.prototype.leave;
QueueHost.prototype.leave = function (/** @type {string} */ id) {
  const started = performance.now();
  const startedAt = performance.timeOrigin + started;
  leave.call(this, id);
  const engineMs = performance.now() - started;
  const poll = () => {
    if ((server.internalSizes().statusBacklog ?? 0) > 0) return setImmediate(poll);
    rounds.push({ startedAt, engineMs, writtenMs: performance.now() - started });
  };
  poll();
};

const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);
let lag = monitorEventLoopDelay({ resolution: 5 });
const ms = (/** @type {number} */ ns) => ns / 1e6;

process.send?.({ url: server.url });
process.on('message', async (/** @type {any} */ m) => {
  if (m === 'memory') {
    for (let i = 0; i < 3; i++) {
      gc?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    process.send?.({ memory: process.memoryUsage(), stats: server.stats() });
  } else if (m === 'lag-start') {
    lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    // Rounds before this one are warm-up.
    rounds.length = 0;
    process.send?.({ ok: true });
  } else if (m === 'lag-stop') {
    lag.disable();
    process.send?.({
      lag: { p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), max: ms(lag.max) },
      rounds: rounds.splice(0),
    });
  } else if (m === 'drain') {
    open = true;
    for (const release of blocked.splice(0)) release();
    process.send?.({ at: epochMs() });
  } else if (m === 'stop') {
    await server.close();
    process.exit(0);
  }
});
