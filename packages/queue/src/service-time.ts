/** How many recent batches the model learns from. */
export const SERVICE_TIME_WINDOW = 50;
/** Weight of a sample relative to the next newer one (half-life ≈ 13.5 batches). */
export const SERVICE_TIME_DECAY = 0.95;
/** A sample is clamped to this many times (or this fraction of) what the other samples suggest. */
export const SERVICE_TIME_OUTLIER_FACTOR = 3;

/** A sample's weight by its age (0 = the newest): SERVICE_TIME_DECAY ** age, worked out once. */
const WEIGHT_BY_AGE = Array.from({ length: SERVICE_TIME_WINDOW }, (_, age) => SERVICE_TIME_DECAY ** age);

/**
 * Learns one endpoint's batch service time `S(b) ≈ a + c·b` (ms) from its recent batches by
 * recency-weighted least squares. Before any sample it answers `b × expectedDurationMs` (the hint is
 * per request, so a batch is assumed to cost no less than its parts: an ETA that ends early beats one
 * that overruns), or `null` without a hint.
 */
export class ServiceTimeModel {
  // Ring buffers, oldest first once full; `start` is the index of the oldest sample.
  private readonly sizes: number[] = [];
  private readonly durations: number[] = [];
  private start = 0;
  private a = 0;
  private c = 0;
  /**
   * Samples came since the last fit. The fit waits for the next read: a busy endpoint records two
   * samples a job (its gather and its run) and a fit costs tens of µs, on the path of every job.
   */
  private stale = false;

  constructor(private readonly expectedDurationMs: number | null = null) {}

  get sampleCount(): number {
    return this.sizes.length;
  }

  /** Records one finished batch of `batchSize` jobs that ran `durationMs`. */
  record(batchSize: number, durationMs: number): void {
    if (!(batchSize >= 1) || !Number.isFinite(durationMs) || durationMs < 0) return;
    if (this.sizes.length < SERVICE_TIME_WINDOW) {
      this.sizes.push(batchSize);
      this.durations.push(durationMs);
    } else {
      this.sizes[this.start] = batchSize;
      this.durations[this.start] = durationMs;
      this.start = (this.start + 1) % SERVICE_TIME_WINDOW;
    }
    this.stale = true;
  }

  /** Expected run time (ms) of a batch of `batchSize`, or null when nothing is known. */
  predict(batchSize: number): number | null {
    if (this.sizes.length === 0) {
      return this.expectedDurationMs === null ? null : this.expectedDurationMs * batchSize;
    }
    if (this.stale) this.refit();
    return Math.max(0, this.a + this.c * batchSize);
  }

  /** The current fit, for tests and metrics. */
  coefficients(): { a: number; c: number } {
    if (this.stale) this.refit();
    return { a: this.a, c: this.c };
  }

  private refit(): void {
    this.stale = false;
    const n = this.sizes.length;
    const b: number[] = [];
    const d: number[] = [];
    const w: number[] = [];
    for (let age = n - 1, k = 0; k < n; k++, age--) {
      const i = (this.start + k) % n;
      b.push(this.sizes[i] as number);
      d.push(this.durations[i] as number);
      w.push(WEIGHT_BY_AGE[age] as number);
    }
    // Fit, clamp each sample to a few times what the typical sample says (the weighted median of
    // sample/fit ratios), fit the clamped samples; twice, since an outlier also bends the first line.
    // One slow outlier moves the fit a little; a real, lasting slowdown takes over the median.
    let line = fit(b, d, w);
    for (let pass = 0; pass < 2; pass++) {
      const guess = line;
      const at = (i: number): number => guess.a + guess.c * (b[i] as number);
      const typical = weightedMedian(
        d.map((di, i) => di / Math.max(at(i), 1e-9)),
        w,
      );
      const clamped = d.map((di, i) => {
        const expected = typical * at(i);
        return Math.min(Math.max(di, expected / SERVICE_TIME_OUTLIER_FACTOR), expected * SERVICE_TIME_OUTLIER_FACTOR);
      });
      line = fit(b, clamped, w);
    }
    ({ a: this.a, c: this.c } = line);
  }
}

/**
 * Weighted least squares of d ≈ a + c·b, kept physical: with one distinct batch size it falls back
 * to a mean per item (d ≈ c·b); a negative slope falls back to a constant; a negative intercept to
 * a line through the origin.
 */
export function fit(b: readonly number[], d: readonly number[], w: readonly number[]): { a: number; c: number } {
  let sw = 0;
  let sb = 0;
  let sd = 0;
  for (let i = 0; i < b.length; i++) {
    sw += w[i] as number;
    sb += (w[i] as number) * (b[i] as number);
    sd += (w[i] as number) * (d[i] as number);
  }
  if (sw === 0) return { a: 0, c: 0 };
  const mb = sb / sw;
  const md = sd / sw;
  let sbb = 0;
  let sbd = 0;
  let sbbRaw = 0;
  let sbdRaw = 0;
  for (let i = 0; i < b.length; i++) {
    const wi = w[i] as number;
    const bi = b[i] as number;
    const di = d[i] as number;
    sbb += wi * (bi - mb) ** 2;
    sbd += wi * (bi - mb) * (di - md);
    sbbRaw += wi * bi * bi;
    sbdRaw += wi * bi * di;
  }
  if (sbb <= 1e-9 * sw * Math.max(1, mb * mb)) return { a: 0, c: sd / sb };
  const c = sbd / sbb;
  if (c < 0) return { a: md, c: 0 };
  const a = md - c * mb;
  if (a < 0) return { a: 0, c: sbdRaw / sbbRaw };
  return { a, c };
}

function weightedMedian(values: readonly number[], weights: readonly number[]): number {
  const order = values.map((_, i) => i).sort((i, j) => (values[i] as number) - (values[j] as number));
  const half = weights.reduce((s, x) => s + x, 0) / 2;
  let acc = 0;
  for (const i of order) {
    acc += weights[i] as number;
    if (acc >= half) return values[i] as number;
  }
  return 1;
}
