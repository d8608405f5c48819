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
   * samples a job (its gather and its run), and each fit on the path of every job costs it ~15 µs.
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
    const { b, d, w, ratio, clamped, order } = this.scratch;
    for (let age = n - 1, k = 0; k < n; k++, age--) {
      const i = (this.start + k) % n;
      b[k] = this.sizes[i] as number;
      d[k] = this.durations[i] as number;
      w[k] = WEIGHT_BY_AGE[age] as number;
    }
    // Fit, clamp each sample to a few times what the typical sample says (the weighted median of
    // sample/fit ratios), fit the clamped samples; twice, since an outlier also bends the first line.
    // One slow outlier moves the fit a little; a real, lasting slowdown takes over the median.
    let line = fit(b, d, w, n);
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < n; i++) ratio[i] = (d[i] as number) / Math.max(line.a + line.c * (b[i] as number), 1e-9);
      const typical = weightedMedian(ratio, w, n, order);
      for (let i = 0; i < n; i++) {
        const expected = typical * (line.a + line.c * (b[i] as number));
        clamped[i] = Math.min(
          Math.max(d[i] as number, expected / SERVICE_TIME_OUTLIER_FACTOR),
          expected * SERVICE_TIME_OUTLIER_FACTOR,
        );
      }
      line = fit(b, clamped, w, n);
    }
    ({ a: this.a, c: this.c } = line);
  }

  /** Memory for the fit, kept: a fit makes no garbage. */
  private readonly scratch = {
    b: new Float64Array(SERVICE_TIME_WINDOW),
    d: new Float64Array(SERVICE_TIME_WINDOW),
    w: new Float64Array(SERVICE_TIME_WINDOW),
    ratio: new Float64Array(SERVICE_TIME_WINDOW),
    clamped: new Float64Array(SERVICE_TIME_WINDOW),
    order: new Uint8Array(SERVICE_TIME_WINDOW),
  };
}

/**
 * Weighted least squares of d ≈ a + c·b, kept physical: with one distinct batch size it falls back
 * to a mean per item (d ≈ c·b); a negative slope falls back to a constant; a negative intercept to
 * a line through the origin.
 */
export function fit(
  b: ArrayLike<number>,
  d: ArrayLike<number>,
  w: ArrayLike<number>,
  n: number = b.length,
): { a: number; c: number } {
  let sw = 0;
  let sb = 0;
  let sd = 0;
  for (let i = 0; i < n; i++) {
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
  for (let i = 0; i < n; i++) {
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

/**
 * The value at which the weights, taken in the values' order, pass half their sum: the first `n` of
 * each. Ties keep their index order (a stable sort); `order` is memory for the indices.
 */
function weightedMedian(values: ArrayLike<number>, weights: ArrayLike<number>, n: number, order: Uint8Array): number {
  // Insertion sort of the indices: a window is 50 samples, and this makes no closure and no garbage.
  for (let i = 0; i < n; i++) {
    const value = values[i] as number;
    let at = i;
    while (at > 0 && (values[order[at - 1] as number] as number) > value) {
      order[at] = order[at - 1] as number;
      at--;
    }
    order[at] = i;
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i] as number;
  const half = total / 2;
  let acc = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k] as number;
    acc += weights[i] as number;
    if (acc >= half) return values[i] as number;
  }
  return 1;
}
