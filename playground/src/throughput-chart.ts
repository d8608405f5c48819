import { h } from './dom.js';

interface Point {
  /** Seconds since the chart was reset. */
  t: number;
  throughput: number;
  /** Median latency of the recent completions, in seconds; null when none completed lately. */
  latency: number | null;
}

const THROUGHPUT_COLOUR = '#4a63c9';
const LATENCY_COLOUR = '#d9822b';

/**
 * A legend entry in `colour`. The colour is set through the CSSOM: the server's Content-Security-Policy
 * (`style-src 'self'`) refuses a `style` attribute, but not `element.style`.
 */
function legendKey(colour: string, label: string): HTMLElement {
  const key = h('span', { class: 'key' }, label);
  key.style.setProperty('--colour', colour);
  return key;
}

/** A small two-axis chart: throughput (jobs/s, left) and latency (s, right) over a stampede. */
export class ThroughputChart {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private points: Point[] = [];

  constructor() {
    this.canvas = h('canvas', { class: 'chart', width: 480, height: 140, 'aria-label': 'throughput and latency' });
    this.element = h(
      'figure',
      { class: 'chart-box' },
      this.canvas,
      h(
        'figcaption',
        {},
        legendKey(THROUGHPUT_COLOUR, 'throughput (jobs/s)'),
        legendKey(LATENCY_COLOUR, 'median latency (s)'),
      ),
    );
    this.draw();
  }

  reset(): void {
    this.points = [];
    this.draw();
  }

  add(point: Point): void {
    this.points.push(point);
    this.draw();
  }

  private draw(): void {
    const context = this.canvas.getContext('2d');
    if (context === null) return;
    // Draw at the device's pixel density, so lines stay crisp on high-DPI screens.
    const ratio = window.devicePixelRatio || 1;
    const cssWidth = this.canvas.clientWidth || 480;
    const cssHeight = this.canvas.clientHeight || 140;
    if (this.canvas.width !== Math.round(cssWidth * ratio)) {
      this.canvas.width = Math.round(cssWidth * ratio);
      this.canvas.height = Math.round(cssHeight * ratio);
    }
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, cssWidth, cssHeight);
    const left = 34;
    const right = cssWidth - 34;
    const top = 8;
    const bottom = cssHeight - 18;
    const points = this.points;
    const tMax = Math.max(5, points.at(-1)?.t ?? 0);
    const qMax = niceMax(Math.max(1, ...points.map((p) => p.throughput)));
    const lMax = niceMax(Math.max(0.5, ...points.map((p) => p.latency ?? 0)));
    const x = (t: number) => left + (t / tMax) * (right - left);

    context.strokeStyle = '#e3e6ee';
    context.fillStyle = '#6b7280';
    context.font = '10px system-ui, sans-serif';
    context.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = bottom - (i / 4) * (bottom - top);
      context.beginPath();
      context.moveTo(left, y);
      context.lineTo(right, y);
      context.stroke();
      context.textAlign = 'right';
      context.fillText(trim((qMax * i) / 4), left - 4, y + 3);
      context.textAlign = 'left';
      context.fillText(trim((lMax * i) / 4), right + 4, y + 3);
    }
    context.textAlign = 'center';
    context.fillText(`${Math.round(tMax)} s`, right, cssHeight - 4);
    context.fillText('0', left, cssHeight - 4);

    this.line(
      context,
      points.map((p) => [x(p.t), bottom - (p.throughput / qMax) * (bottom - top)]),
      THROUGHPUT_COLOUR,
    );
    this.line(
      context,
      points.map((p) => (p.latency === null ? null : [x(p.t), bottom - (p.latency / lMax) * (bottom - top)])),
      LATENCY_COLOUR,
    );
  }

  private line(context: CanvasRenderingContext2D, xy: ([number, number] | null)[], colour: string): void {
    context.strokeStyle = colour;
    context.lineWidth = 2;
    context.beginPath();
    let drawing = false;
    for (const point of xy) {
      if (point === null) {
        drawing = false;
        continue;
      }
      if (drawing) context.lineTo(point[0], point[1]);
      else context.moveTo(point[0], point[1]);
      drawing = true;
    }
    context.stroke();
  }
}

/** 1, 2, 5, 10, 20, 50…: a round top for an axis. */
function niceMax(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function trim(value: number): string {
  return value >= 10 ? String(Math.round(value)) : String(Math.round(value * 10) / 10);
}
