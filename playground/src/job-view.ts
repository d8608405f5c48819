import type { JobStatus } from '@crowdserve/client';
import { h, replace, setText } from './dom.js';
import { describeError, formatSeconds, secondsUntil } from './format.js';
import { onTick } from './ticker.js';

/** One job's status line, progress bar and result: what a person watches after pressing Submit. */
export interface JobView {
  readonly element: HTMLElement;
  /** A new job was submitted at `now`. */
  start(now?: number): void;
  /** The job's latest status, as the client reports it. */
  update(status: JobStatus, now?: number): void;
  /** Shows a message that is not a job status (e.g. the input could not be read). */
  fail(message: string): void;
}

type Shown =
  | { type: 'idle' }
  | { type: 'connecting' }
  | { type: 'queued'; position: number; queueSize: number; etaAt: number | null }
  | { type: 'retrying'; attempt: number; retryAt: number }
  | { type: 'running'; startedAt: number; endsAt: number | null; step: string; fraction: number | null }
  | { type: 'done'; duration: number; total: number }
  | { type: 'failed'; message: string; cancelled: boolean };

/**
 * Renders statuses, and between server updates counts the ETA down from `etaAt` (absolute time)
 * on a shared 100 ms tick, so the numbers move smoothly even when the queue does not.
 */
export function createJobView(renderResult: (data: unknown[]) => Node): JobView {
  const text = h('span');
  const eta = h('span', { class: 'eta', 'data-eta': '' });
  const line = h('p', { class: 'status', role: 'status', 'data-state': 'idle', 'data-updates': 0 }, text, eta);
  const fill = h('div', { class: 'bar-fill' });
  const bar = h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 }, fill);
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const element = h('div', { class: 'job' }, line, bar, result);

  let shown: Shown = { type: 'idle' };
  let submittedAt = 0;
  let updates = 0;
  let stopTicking: (() => void) | null = null;
  setText(text, 'Nothing submitted yet.');

  const draw = (now: number): void => {
    line.dataset.state = shown.type;
    line.dataset.updates = String(updates);
    let fraction: number | null = null;
    let etaText = '';
    switch (shown.type) {
      case 'idle':
        break;
      case 'connecting':
        setText(text, 'Connecting…');
        break;
      case 'queued': {
        setText(text, `Waiting: position ${shown.position + 1} of ${shown.queueSize}`);
        if (shown.etaAt === null) etaText = ' · ETA not known yet';
        else {
          etaText = formatSeconds(secondsUntil(shown.etaAt, now));
          // Fill toward the expected completion; never quite full while still waiting.
          fraction = Math.min(0.97, (now - submittedAt) / Math.max(1, shown.etaAt - submittedAt));
        }
        break;
      }
      case 'retrying':
        setText(
          text,
          `Queue full: trying again in ${formatSeconds(secondsUntil(shown.retryAt, now))} (attempt ${shown.attempt})`,
        );
        break;
      case 'running': {
        const left = shown.endsAt === null ? '' : ` · about ${formatSeconds(secondsUntil(shown.endsAt, now))} left`;
        setText(text, `Running${shown.step}${left}`);
        fraction =
          shown.fraction ??
          (shown.endsAt === null
            ? null
            : Math.min(0.97, (now - shown.startedAt) / Math.max(1, shown.endsAt - shown.startedAt)));
        break;
      }
      case 'done':
        setText(text, `Done in ${formatSeconds(shown.total)} (ran ${formatSeconds(shown.duration)})`);
        fraction = 1;
        break;
      case 'failed':
        setText(text, shown.message);
        break;
    }
    setText(eta, etaText);
    eta.hidden = etaText === '';
    line.classList.toggle('error', shown.type === 'failed' && !shown.cancelled);
    bar.classList.toggle('indeterminate', fraction === null && isActive(shown));
    fill.style.width = `${Math.round((fraction ?? 0) * 1000) / 10}%`;
    bar.setAttribute('aria-valuenow', String(Math.round((fraction ?? 0) * 100)));
  };

  const ticking = (on: boolean): void => {
    if (on && stopTicking === null) stopTicking = onTick(draw);
    if (!on && stopTicking !== null) {
      stopTicking();
      stopTicking = null;
    }
  };

  const show = (next: Shown, now: number): void => {
    shown = next;
    ticking(isActive(next));
    draw(now);
  };

  return {
    element,
    start(now = Date.now()) {
      submittedAt = now;
      updates = 0;
      replace(result);
      show({ type: 'connecting' }, now);
    },
    update(status, now = Date.now()) {
      updates++;
      switch (status.type) {
        case 'queued':
          return show(
            { type: 'queued', position: status.position, queueSize: status.queueSize, etaAt: status.etaAt },
            now,
          );
        case 'retrying':
          return show({ type: 'retrying', attempt: status.attempt, retryAt: now + status.delayMs }, now);
        case 'running':
          return show(
            {
              type: 'running',
              startedAt: now,
              endsAt: status.eta === null ? null : now + status.eta * 1000,
              step: '…',
              fraction: null,
            },
            now,
          );
        case 'progress': {
          const unit = status.progress[0];
          const running = shown.type === 'running' ? shown : { startedAt: now, endsAt: null };
          let step = '…';
          let fraction: number | null = null;
          if (unit?.index != null && unit.length != null && unit.length > 0) {
            step = `: ${unit.index} of ${unit.length}${unit.unit ? ` ${unit.unit}` : ''}`;
            fraction = unit.index / unit.length;
          } else if (unit?.progress != null) {
            fraction = unit.progress;
            step = `: ${Math.round(unit.progress * 100)}%`;
          }
          return show({ type: 'running', ...running, step, fraction }, now);
        }
        case 'partial':
          replace(result, renderResult(status.data));
          return;
        case 'done':
          replace(result, renderResult(status.data));
          return show({ type: 'done', duration: status.duration, total: (now - submittedAt) / 1000 }, now);
        case 'failed':
          return show(
            { type: 'failed', message: describeError(status.error), cancelled: status.error.code === 'CANCELLED' },
            now,
          );
      }
    },
    fail(message) {
      show({ type: 'failed', message, cancelled: false }, Date.now());
    },
  };
}

function isActive(shown: Shown): boolean {
  return (
    shown.type === 'connecting' || shown.type === 'queued' || shown.type === 'retrying' || shown.type === 'running'
  );
}
