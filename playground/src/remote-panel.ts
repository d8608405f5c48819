import { connect, type App } from '@crowdserve/client';
import { h, replace, setText } from './dom.js';
import { describeError } from './format.js';
import { createJobForm, type JobForm } from './job-form.js';
import { createDialectSwitch, DEFAULT_REMOTE_DIALECT, describeDialect, type RemoteDialect } from './remote-dialect.js';
import { fetchQueueSize, fetchServerStats } from './server-stats.js';
import { renderSettings } from './settings-view.js';
import { startStampede } from './stampede.js';
import { createStampedeView } from './stampede-view.js';

/** How often the panel reads the server's queue size. */
const QUEUE_POLL_MS = 1_000;

/** The page's own origin: the Node server serves the playground and the queue together. */
export function createRemotePanel(origin: string = location.origin): HTMLElement {
  const body = h('div', { class: 'panel-body' }, h('p', { class: 'hint' }, `Connecting to ${origin}…`));
  const live = h('span', { class: 'badge', 'data-live': '' }, 'queue: …');
  let dialect: RemoteDialect = DEFAULT_REMOTE_DIALECT;
  const lead = h('p', { class: 'lead' }, describeDialect(dialect));
  const dialectSwitch = createDialectSwitch(dialect, (picked) => {
    dialect = picked;
    setText(lead, describeDialect(dialect));
    void start();
  });
  const element = h(
    'section',
    { class: 'panel', id: 'remote', 'aria-labelledby': 'remote-title' },
    h(
      'header',
      {},
      h('h2', { id: 'remote-title' }, 'Remote server'),
      h('span', { class: 'badge' }, new URL(origin).host),
      live,
    ),
    lead,
    dialectSwitch,
    body,
  );

  let form: JobForm | null = null;
  let app: App | null = null;
  // Each connect gets a number: an older one that settles after a newer began is dropped.
  let attempt = 0;

  const showDown = (error: unknown): void => {
    const retry = h('button', { type: 'button', class: 'secondary' }, 'Try again');
    retry.addEventListener('click', () => void start());
    replace(
      body,
      h(
        'div',
        { class: 'banner error', role: 'alert' },
        h('p', {}, `Cannot reach the queue server at ${origin}: ${describeError(error)}`),
        h('p', {}, 'Is it running? Start it with ', h('code', {}, 'npm start'), ', then try again.'),
        retry,
      ),
    );
  };

  const pollQueue = async (): Promise<void> => {
    try {
      const size = await fetchQueueSize(origin);
      live.classList.remove('error');
      setText(live, `queue: ${size} waiting`);
    } catch {
      live.classList.add('error');
      setText(live, 'server unreachable');
    }
  };

  const show = (connected: App): void => {
    form = createJobForm('remote', connected, '/predict');
    const jobs = form;
    const stampede = createStampedeView({
      id: 'remote-stampede',
      start: async (count) =>
        startStampede({ app: connected, endpoint: jobs.endpoint(), count, data: (user) => jobs.data(user) }),
      serverStats: () => fetchServerStats(origin),
    });
    replace(body, renderSettings(connected), jobs.element, stampede.element);
  };

  const start = async (): Promise<void> => {
    const mine = ++attempt;
    // The old app's jobs end with it (cancelled), so no job is left talking the other dialect.
    form?.dispose();
    form = null;
    app?.close();
    app = null;
    replace(body, h('p', { class: 'hint' }, `Connecting to ${origin} (${dialect})…`));
    try {
      // A wrapper, not `fetch` itself: the client calls `options.fetch(…)` as a method, and browsers
      // refuse a `fetch` whose `this` is not the window ("Illegal invocation").
      const connected = await connect(origin, { fetch: (input, init) => fetch(input, init), transport: dialect });
      if (mine !== attempt) return connected.close();
      app = connected;
      show(connected);
    } catch (error) {
      if (mine === attempt) showDown(error);
    }
  };

  void start();
  window.setInterval(() => void pollQueue(), QUEUE_POLL_MS);
  void pollQueue();
  return element;
}
