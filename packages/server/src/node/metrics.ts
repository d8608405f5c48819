import type { QueueStats } from '@crowdserve/queue';
import type { SharedFigures } from '../core/job-host.js';
import { PrometheusText } from './prometheus-text.js';
import type { WriterCounts } from './status-writer.js';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Why a connection or request was turned away before it reached the queue. */
export type Refusal = 'origin' | 'connections_per_ip';

/** Counters the queue engine does not keep: batch latencies per endpoint, refusals, open sockets; for `/metrics`. */
export class Metrics {
  private readonly latency = new Map<string, { buckets: number[]; sum: number; count: number }>();
  private readonly refusals: Record<Refusal, number> = { origin: 0, connections_per_ip: 0 };

  /**
   * @param openSockets how many queue sockets are open now
   * @param writes what the status writer did (frames written, skipped, slow sockets terminated)
   */
  constructor(
    private readonly openSockets: () => number = () => 0,
    private readonly writes: Readonly<WriterCounts> = {
      statusesWritten: 0,
      statusesSkipped: 0,
      statusesReplaced: 0,
      terminated: 0,
    },
  ) {}

  recordRefusal(reason: Refusal): void {
    this.refusals[reason]++;
  }

  recordBatch(apiName: string, seconds: number): void {
    let h = this.latency.get(apiName);
    if (h === undefined) {
      h = { buckets: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.latency.set(apiName, h);
    }
    LATENCY_BUCKETS.forEach((le, i) => {
      if (seconds <= le) h.buckets[i]! += 1;
    });
    h.sum += seconds;
    h.count += 1;
  }

  /** Prometheus text exposition format 0.0.4. */
  render(
    stats: QueueStats,
    settings: { concurrencyCount: number; maxSize: number | null },
    callsPastTimeout = 0,
    shared?: SharedFigures,
  ): string {
    const out = new PrometheusText();
    queueFigures(out, stats, settings, callsPastTimeout);
    this.socketFigures(out);
    if (shared !== undefined) sharedFigures(out, shared);
    this.byLabel(out, stats);
    return out.toString();
  }

  /** The queue sockets open now and what the status writer did to them. */
  private socketFigures(out: PrometheusText): void {
    out.gauge('crowdserve_queue_sockets', 'Open /queue/join WebSockets.', this.openSockets());
    out.counter('crowdserve_status_frames_written_total', 'Estimation frames written.', this.writes.statusesWritten);
    out.counter(
      'crowdserve_status_frames_skipped_total',
      'Estimation frames skipped: the socket had more than slowClientBytes waiting.',
      this.writes.statusesSkipped,
    );
    out.counter(
      'crowdserve_status_frames_replaced_total',
      'Estimation frames replaced by a newer one before they were written.',
      this.writes.statusesReplaced,
    );
    out.counter(
      'crowdserve_slow_sockets_terminated_total',
      'Queue sockets terminated with more than maxBufferedBytes waiting to go out.',
      this.writes.terminated,
    );
  }

  /** The labelled families: refusals by reason, batches by size, batch run time by endpoint. */
  private byLabel(out: PrometheusText, stats: QueueStats): void {
    out.family(
      'crowdserve_refused_total',
      'counter',
      'Upgrades and predict requests refused before the queue, by reason.',
    );
    for (const [reason, count] of Object.entries(this.refusals))
      out.sample(`crowdserve_refused_total{reason="${reason}"}`, count);
    out.family('crowdserve_batches_total', 'counter', 'Batches run, by size.');
    for (const [size, count] of Object.entries(stats.batchSizes))
      out.sample(`crowdserve_batches_total{size="${size}"}`, count);
    out.family('crowdserve_batch_seconds', 'histogram', 'Run time of a batch.');
    for (const [api, h] of this.latency) {
      const label = `endpoint="${api.replace(/["\\\n]/g, '_')}"`;
      LATENCY_BUCKETS.forEach((le, i) =>
        out.sample(`crowdserve_batch_seconds_bucket{${label},le="${le}"}`, h.buckets[i]!),
      );
      out.sample(`crowdserve_batch_seconds_bucket{${label},le="+Inf"}`, h.count);
      out.sample(`crowdserve_batch_seconds_sum{${label}}`, h.sum);
      out.sample(`crowdserve_batch_seconds_count{${label}}`, h.count);
    }
  }
}

/** The queue engine's own counters and gauges, and the settings they are read against. */
function queueFigures(
  out: PrometheusText,
  stats: QueueStats,
  settings: { concurrencyCount: number; maxSize: number | null },
  callsPastTimeout: number,
): void {
  out.gauge('crowdserve_queue_waiting', 'Jobs waiting for a slot.', stats.waiting);
  out.gauge('crowdserve_queue_running', 'Jobs in slots (awaiting their data or running).', stats.running);
  out.gauge('crowdserve_slots_busy', 'Slots in use.', stats.busySlots);
  out.gauge('crowdserve_slots_total', 'concurrencyCount.', settings.concurrencyCount);
  out.gauge('crowdserve_queue_max_size', 'maxSize (-1 = unbounded).', settings.maxSize ?? -1);
  out.counter('crowdserve_jobs_completed_total', 'Jobs that ended with a result.', stats.completed);
  out.counter('crowdserve_jobs_failed_total', 'Jobs that ended with an error or timeout.', stats.failed);
  out.counter('crowdserve_jobs_cancelled_total', 'Jobs whose client left.', stats.cancelled);
  out.counter(
    'crowdserve_jobs_rejected_total',
    'Joins refused (queue full, shutting down, bad endpoint).',
    stats.rejected,
  );
  out.gauge(
    'crowdserve_calls_past_timeout',
    'Calls running past their timeout (or the default timeout, where an endpoint has none).',
    callsPastTimeout,
  );
}

/** A shared queue's figures (Redis line): jobs handed over, the relay's backlog, live processes. */
function sharedFigures(out: PrometheusText, shared: SharedFigures): void {
  out.counter('crowdserve_shared_released_total', 'Jobs of the shared line another process took.', shared.released);
  out.gauge('crowdserve_shared_relay_outbox', 'Relay messages waiting for Redis to be reachable.', shared.relayOutbox);
  out.gauge('crowdserve_shared_processes', 'Live processes sharing the line, this one included.', shared.liveProcesses);
}
