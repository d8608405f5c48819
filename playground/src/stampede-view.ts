import { createCells, createCrowdGrid, crowdLegend, drawCell } from './crowd-grid.js';
import { h, replace, setText } from './dom.js';
import { formatSeconds } from './format.js';
import {
  countStates,
  DEFAULT_STAMPEDE_USERS,
  latencyPercentile,
  MAX_STAMPEDE_USERS,
  STAMPEDE_RETRY,
  throughput,
  type Stampede,
  type UserState,
} from './stampede.js';
import { drawCounters } from './stampede-counters.js';
import { ThroughputChart } from './throughput-chart.js';
import { onTick } from './ticker.js';
import type { ServerStats } from './server-stats.js';

export interface StampedeViewOptions {
  /** Prefix for element ids, unique on the page. */
  id: string;
  /** Starts `count` users against the panel's server and endpoint; throws with a message when it cannot. */
  start: (count: number) => Promise<Stampede>;
  /** The server's batches and slots (its `/metrics`, the local queue's stats). */
  serverStats?: () => Promise<ServerStats>;
}

/** How often counters sample throughput for the chart and poll the server's stats. */
const SAMPLE_MS = 500;
/** The chart's throughput and latency are over this recent window. */
const CHART_WINDOW_MS = 3_000;

/** The stampede control: a user count, launch/stop, live counters, a grid of users and a chart. */
export function createStampedeView(options: StampedeViewOptions): { element: HTMLElement; stop(): void } {
  const countField = h('input', {
    id: `${options.id}-users`,
    type: 'number',
    min: 1,
    max: MAX_STAMPEDE_USERS,
    value: String(DEFAULT_STAMPEDE_USERS),
  });
  const launch = h('button', { type: 'button' }, 'Launch stampede');
  const stopButton = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Stop');
  const counters = h('div', { class: 'counters', 'aria-live': 'off' });
  const summary = h('p', { class: 'summary', role: 'status' });
  const grid = createCrowdGrid();
  const chart = new ThroughputChart();
  const element = h(
    'section',
    { class: 'stampede', 'aria-label': 'stampede' },
    h('h3', {}, 'Stampede'),
    h(
      'p',
      { class: 'hint' },
      `Simulated users arrive together, each with its own connection. When the queue is full they back off and retry (up to ${STAMPEDE_RETRY.maxAttempts} tries each).`,
    ),
    h('div', { class: 'row' }, h('label', { for: countField.id }, 'Users'), countField, launch, stopButton),
    summary,
    counters,
    grid,
    crowdLegend(),
    chart.element,
  );

  let current: Stampede | null = null;
  let stopTicking: (() => void) | null = null;
  let cells: HTMLElement[] = [];
  let baseline: Record<number, number> = {};
  let batches: Record<number, number> = {};
  let slots: Pick<ServerStats, 'busySlots' | 'slots'> | null = null;
  let lastSample = 0;
  let lastLatency: number | null = null;

  const pollStats = async (): Promise<void> => {
    if (options.serverStats === undefined) return;
    try {
      const now = await options.serverStats();
      slots = { busySlots: now.busySlots, slots: now.slots };
      batches = Object.fromEntries(
        Object.entries(now.batchSizes)
          .map(([size, n]) => [size, n - (baseline[Number(size)] ?? 0)])
          .filter(([, n]) => (n as number) > 0),
      );
    } catch {
      // Server stats are a nicety: a failed poll leaves the last numbers up.
    }
  };

  const draw = (now: number): void => {
    const stampede = current;
    if (stampede === null) return;
    stampede.users.forEach((user, i) => drawCell(cells[i], i, user, now));
    const counts = countStates(stampede.users);
    // The counter: the mean rate since launch, steady to read. The chart: a sliding window, to show change.
    const end = counts.done + counts.failed === stampede.count ? lastCompletion(stampede) : now;
    const rate = throughput(stampede.completions, stampede.startedAt, end, Infinity);
    const p50 = latencyPercentile(stampede.completions, 0.5);
    drawCounters(counters, counts, stampede, rate, p50, batches, slots);
    if (now - lastSample >= SAMPLE_MS) {
      lastSample = now;
      const recent = stampede.completions.filter((c) => c.at > now - CHART_WINDOW_MS);
      const latency = latencyPercentile(recent, 0.5);
      // Batches finish in bursts: between them keep the last latency rather than break the line.
      if (latency !== null) lastLatency = latency / 1000;
      chart.add({
        t: (now - stampede.startedAt) / 1000,
        throughput: throughput(stampede.completions, stampede.startedAt, now, CHART_WINDOW_MS),
        latency: lastLatency,
      });
      void pollStats();
    }
  };

  const finish = async (stampede: Stampede): Promise<void> => {
    await stampede.finished;
    await pollStats();
    stopTicking?.();
    stopTicking = null;
    draw(Date.now());
    if (current !== stampede) return;
    const counts = countStates(stampede.users);
    const seconds =
      (Math.max(...stampede.completions.map((c) => c.at), stampede.startedAt) - stampede.startedAt) / 1000;
    const failure = stampede.users.find((u): u is Extract<UserState, { type: 'failed' }> => u.type === 'failed');
    summary.classList.toggle('error', failure !== undefined && failure.code !== 'CANCELLED');
    setText(
      summary,
      failure === undefined
        ? `All ${counts.done} users served in ${formatSeconds(seconds)}, after ${stampede.retries} retries.`
        : `${counts.done} of ${stampede.count} served; ${counts.failed} failed: ${failure.message}`,
    );
    launch.disabled = false;
    stopButton.disabled = true;
  };

  launch.addEventListener('click', () => {
    const count = Number(countField.value);
    if (!Number.isInteger(count) || count < 1 || count > MAX_STAMPEDE_USERS) {
      summary.classList.add('error');
      setText(summary, `Users: expected a whole number from 1 to ${MAX_STAMPEDE_USERS}, got “${countField.value}”.`);
      return;
    }
    launch.disabled = true;
    summary.classList.remove('error');
    setText(summary, `Launching ${count} users…`);
    cells = createCells(count);
    replace(grid, ...cells);
    chart.reset();
    batches = {};
    slots = null;
    void (async () => {
      try {
        baseline = (await options.serverStats?.().catch(() => null))?.batchSizes ?? {};
        const stampede = await options.start(count);
        current = stampede;
        lastSample = 0;
        lastLatency = null;
        stopButton.disabled = false;
        setText(summary, `${count} users launched.`);
        stopTicking?.();
        stopTicking = onTick(draw);
        draw(Date.now());
        await finish(stampede);
      } catch (error) {
        summary.classList.add('error');
        setText(summary, error instanceof Error ? error.message : String(error));
        launch.disabled = false;
      }
    })();
  });
  stopButton.addEventListener('click', () => current?.stop());

  return { element, stop: () => current?.stop() };
}

function lastCompletion(stampede: Stampede): number {
  return Math.max(stampede.startedAt, ...stampede.completions.map((c) => c.at));
}
