import { h, setText } from './dom.js';
import { formatSeconds, secondsUntil } from './format.js';
import type { UserState } from './stampede.js';

/** The crowd's grid: one cell per simulated user, its state as a colour and a short label. */
export function createCrowdGrid(): HTMLElement {
  return h('div', { class: 'grid', role: 'list', 'aria-label': 'crowd' });
}

export function createCells(count: number): HTMLElement[] {
  return Array.from({ length: count }, () => h('div', { class: 'user', role: 'listitem' }));
}

/** What each colour means. */
export function crowdLegend(): HTMLElement {
  const states: [UserState['type'], string][] = [
    ['connecting', 'connecting'],
    ['waiting', 'waiting (position)'],
    ['retrying', 'queue full, retrying (s)'],
    ['running', 'running'],
    ['done', 'done'],
    ['failed', 'failed'],
  ];
  return h(
    'div',
    { class: 'legend', 'aria-hidden': 'true' },
    ...states.map(([state, text]) => h('span', {}, h('span', { class: `user ${state}` }), text)),
  );
}

/** Draws one user: position while waiting, the countdown while retrying, a tick when done. */
export function drawCell(cell: HTMLElement | undefined, index: number, user: UserState, now: number): void {
  if (cell === undefined) return;
  cell.className = `user ${user.type}`;
  cell.dataset.state = user.type;
  let label: string;
  let title: string;
  switch (user.type) {
    case 'connecting':
      label = '…';
      title = 'connecting';
      break;
    case 'waiting':
      label = String(user.position + 1);
      title = `waiting: position ${user.position + 1} of ${user.queueSize}`;
      break;
    case 'retrying': {
      const left = secondsUntil(user.retryAt, now);
      // At zero the next attempt is connecting: show that rather than a frozen "0.0".
      label = left >= 0.05 ? left.toFixed(1) : '…';
      title =
        left >= 0.05
          ? `queue full: retrying in ${formatSeconds(left)} (attempt ${user.attempt})`
          : `queue full: trying again (attempt ${user.attempt})`;
      break;
    }
    case 'running':
      label = '▶';
      title = 'running';
      break;
    case 'done':
      label = '✓';
      title = `done in ${formatSeconds(user.latencyMs / 1000)}`;
      break;
    case 'failed':
      label = user.code === 'CANCELLED' ? '–' : '✗';
      title = user.message;
      break;
  }
  setText(cell, label);
  cell.title = `User ${index + 1}: ${title}`;
}
