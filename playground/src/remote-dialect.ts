import { h } from './dom.js';

/** The queue dialects the remote panel can speak to its server (`connect`'s `transport`). */
export const REMOTE_DIALECTS = ['ws', 'sse_v3'] as const;
export type RemoteDialect = (typeof REMOTE_DIALECTS)[number];

/** What the server serves both of; the WebSocket is what `transport: 'auto'` takes against crowdserve. */
export const DEFAULT_REMOTE_DIALECT: RemoteDialect = 'ws';

const LABELS: Record<RemoteDialect, string> = {
  ws: 'Gradio 3 WebSocket (ws)',
  sse_v3: 'Gradio ≥ 4.22 SSE (sse_v3)',
};

/** One line for the panel's lead: how the jobs travel. */
export function describeDialect(dialect: RemoteDialect): string {
  return dialect === 'ws'
    ? 'Jobs go over WebSockets (a socket per job) to the Node queue server that serves this page, in Gradio 3’s queue protocol.'
    : 'Jobs are POSTed to the Node queue server that serves this page and heard on one event stream per session, in Gradio 4.22+/5’s sse_v3 protocol.';
}

/** A picker of the dialect; `onChange` hears each new choice. */
export function createDialectSwitch(initial: RemoteDialect, onChange: (dialect: RemoteDialect) => void): HTMLElement {
  const picker = h(
    'select',
    { id: 'remote-dialect' },
    ...REMOTE_DIALECTS.map((d) => h('option', { value: d }, LABELS[d])),
  );
  picker.value = initial;
  picker.addEventListener('change', () => onChange(picker.value as RemoteDialect));
  return h('div', { class: 'field' }, h('label', { for: picker.id }, 'Dialect'), picker);
}
