import { CancelledError, type App, type EndpointInfo } from '@crowdserve/client';
import { h, replace } from './dom.js';
import { endpointKind, endpointLabel } from './endpoint-kind.js';
import { describeError } from './format.js';
import type { InputWidget } from './input-widget.js';
import { createJobView } from './job-view.js';
import { createOcrInput } from './ocr-input.js';
import { renderResult } from './result-view.js';
import { createTextInput } from './text-input.js';
import { createVadInput } from './vad-input.js';

/** Pick an endpoint, fill in its input, submit, watch, cancel: one person's view of the queue. */
export interface JobForm {
  readonly element: HTMLElement;
  /** The picked endpoint's api name. */
  endpoint(): string;
  /** The request data the form would send (for stampede user `user`). */
  data(user?: number): Promise<unknown[]>;
  /** Cancels the job in flight and stops the input widget. */
  dispose(): void;
}

export function createJobForm(id: string, app: App, preferred?: string): JobForm {
  const endpoints = app.endpoints.filter((e): e is EndpointInfo & { apiName: string } => e.apiName !== null);
  const picker = h(
    'select',
    { id: `${id}-endpoint` },
    ...endpoints.map((e) => h('option', { value: e.apiName }, endpointLabel(e))),
  );
  if (preferred !== undefined && endpoints.some((e) => e.apiName === preferred)) picker.value = preferred;
  const inputSlot = h('div', { class: 'input-slot' });
  const submit = h('button', { type: 'submit' }, 'Submit');
  const cancel = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Cancel');
  const current = () => endpoints.find((e) => e.apiName === picker.value) ?? endpoints[0];
  let view = createJobView((data) => renderResult(endpointKind(current() ?? { apiName: null, parameters: [] }), data));
  const viewSlot = h('div', {}, view.element);
  let widget: InputWidget | null = null;
  let inFlight: AbortController | null = null;

  const showInput = (): void => {
    widget?.dispose?.();
    const endpoint = current();
    const kind = endpoint === undefined ? 'text' : endpointKind(endpoint);
    widget = { text: createTextInput, ocr: createOcrInput, vad: createVadInput }[kind](`${id}-input`);
    replace(inputSlot, widget.element);
  };
  picker.addEventListener('change', () => {
    inFlight?.abort();
    view = createJobView((data) => renderResult(endpointKind(current() ?? { apiName: null, parameters: [] }), data));
    replace(viewSlot, view.element);
    showInput();
  });
  showInput();

  const form = h(
    'form',
    { class: 'job-form' },
    h('div', { class: 'field' }, h('label', { for: picker.id }, 'Endpoint'), picker),
    inputSlot,
    h('div', { class: 'row' }, submit, cancel),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    inFlight?.abort();
    const controller = new AbortController();
    inFlight = controller;
    const shown = view;
    shown.start();
    cancel.disabled = false;
    const endpoint = picker.value;
    void (async () => {
      try {
        const data = await (widget?.data() ?? Promise.resolve([]));
        // Cancelled while the input was being prepared (a long recording, say): nothing was sent.
        if (controller.signal.aborted) return shown.update({ type: 'failed', error: new CancelledError() });
        const job = app.submit(endpoint, data, { signal: controller.signal, onStatus: (s) => shown.update(s) });
        // The `failed` status already shows what went wrong; nothing else to do with the rejection.
        await job.result.catch(() => undefined);
      } catch (error) {
        shown.fail(describeError(error));
      } finally {
        if (inFlight === controller) {
          inFlight = null;
          cancel.disabled = true;
        }
      }
    })();
  });
  cancel.addEventListener('click', () => inFlight?.abort());

  return {
    element: h('div', {}, form, viewSlot),
    endpoint: () => picker.value,
    data: (user) => widget?.data(user) ?? Promise.resolve([]),
    dispose: () => {
      inFlight?.abort();
      widget?.dispose?.();
    },
  };
}
