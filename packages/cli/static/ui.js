// @ts-check
// The page `crowdserve serve` shows at `/`: one panel per endpoint, read from /config and /info, like
// the small UI `gradio app.py` shows. Plain JS, served as it is: the shipped file is the source, and
// the CLI needs no build step of its own for it (see DESIGN §1).
import { connect } from '@crowdserve/client';

/** @typedef {import('@crowdserve/client').App} App */
/** @typedef {import('@crowdserve/client').EndpointInfo} EndpointInfo */
/** @typedef {import('@crowdserve/client').JobStatus} JobStatus */
/** @typedef {{ name: string, type: string, dims: (number | string)[] }} ValueSignature */

const main = /** @type {HTMLElement} */ (document.getElementById('endpoints'));
const summary = /** @type {HTMLElement} */ (document.getElementById('summary'));

try {
  // The server's own URL, also behind a proxy that mounts it under a path.
  const app = await connect(new URL('./', document.baseURI).href.replace(/\/$/, ''));
  const title = String(app.config.title ?? 'crowdserve');
  document.title = title;
  /** @type {HTMLElement} */ (document.getElementById('title')).textContent = title;
  const queue = /** @type {{ concurrency_count?: number, max_size?: number | null }} */ (
    /** @type {Record<string, unknown>} */ (app.config).crowdserve ?? {}
  );
  summary.textContent = `${app.endpoints.length} endpoint(s), ${queue.concurrency_count ?? '?'} slot(s), queue ${
    queue.max_size == null ? 'unbounded' : `of ${queue.max_size}`
  }`;
  for (const endpoint of app.endpoints) main.append(panel(app, endpoint));
} catch (error) {
  summary.textContent = `cannot connect: ${error instanceof Error ? error.message : String(error)}`;
  summary.dataset.state = 'failed';
}

/**
 * One endpoint: an input per parameter, Run, Cancel, the live status and the result.
 * @param {App} app
 * @param {EndpointInfo} endpoint
 */
function panel(app, endpoint) {
  const name = endpoint.apiName ?? `fn_index ${endpoint.fnIndex}`;
  const section = element('section', { className: 'endpoint', id: `endpoint-${slug(name)}` });
  section.append(element('h2', { textContent: name }));
  const signature = modelInputs(app, endpoint);
  // An endpoint that describes no inputs takes its whole `data` list as JSON.
  const parameters = endpoint.parameters.length > 0 ? endpoint.parameters : null;
  const fields = (parameters ?? [null]).map((parameter, i) => field(section, parameter, signature[i], i));

  const run = element('button', { className: 'run', textContent: 'Run' });
  const cancel = element('button', { className: 'cancel', textContent: 'Cancel', disabled: true });
  const buttons = element('div', { className: 'buttons' });
  buttons.append(run, cancel);
  const status = element('div', { className: 'status', textContent: 'idle' });
  const bar = element('progress', { hidden: true });
  const output = element('pre', { className: 'output', hidden: true });
  section.append(buttons, status, bar, output);

  /** @type {import('@crowdserve/client').Job | null} */
  let job = null;
  run.addEventListener('click', () => {
    let data;
    try {
      const values = fields.map((read) => read());
      data = parameters === null ? values[0] : values;
      if (!Array.isArray(data)) throw new Error('expected a JSON array of the inputs, e.g. ["hello"]');
    } catch (error) {
      show(status, 'failed', `bad input: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    output.hidden = true;
    bar.hidden = true;
    run.disabled = true;
    cancel.disabled = false;
    show(status, 'queued', 'joining the queue…');
    const submitted = app.submit(endpoint.fnIndex, data, {
      onStatus: (s) => {
        if (job !== submitted) return;
        render(s, status, bar, output);
        if (s.type === 'done' || s.type === 'failed') {
          run.disabled = false;
          cancel.disabled = true;
          job = null;
        }
      },
    });
    job = submitted;
    // Failures are shown from the status; the result promise must not go unhandled.
    submitted.result.catch(() => {});
  });
  cancel.addEventListener('click', () => job?.cancel());
  return section;
}

/**
 * An input for one parameter; returns how to read its value.
 * @param {HTMLElement} section
 * @param {import('@crowdserve/protocol/base').InfoParameter | null} parameter
 * @param {ValueSignature | undefined} tensor the model input's signature, when the endpoint serves a model
 * @param {number} index
 * @returns {() => unknown}
 */
function field(section, parameter, tensor, index) {
  const type = parameter?.type.type ?? 'data';
  const id = `${section.id}-input-${index}`;
  const label = element('label', { htmlFor: id, textContent: parameter?.label ?? 'data' });
  const hint = tensor
    ? `JSON nested array, ${tensor.type}[${tensor.dims.join(', ')}] (batch axis first), e.g. ${example(tensor.dims)}`
    : type === 'string'
      ? 'text'
      : type === 'number'
        ? 'number'
        : type === 'data'
          ? 'the inputs as a JSON array, e.g. ["hello"]'
          : `JSON (${type})`;
  label.append(element('span', { className: 'hint', textContent: hint }));
  section.append(label);
  if (type === 'string') {
    const input = element('input', { type: 'text', id });
    section.append(input);
    return () => input.value;
  }
  if (type === 'number') {
    const input = element('input', { type: 'number', id, step: 'any' });
    section.append(input);
    return () => {
      if (input.value === '' || !Number.isFinite(input.valueAsNumber))
        throw new Error(`${label.firstChild?.textContent}: expected a number`);
      return input.valueAsNumber;
    };
  }
  const input = element('textarea', { id, rows: 3 });
  if (tensor) input.placeholder = example(tensor.dims);
  section.append(input);
  return () => JSON.parse(input.value);
}

/**
 * Shows a status the way Gradio's page does: place and ETA while queued, progress, partial and final data.
 * @param {JobStatus} s
 * @param {HTMLElement} status
 * @param {HTMLProgressElement} bar
 * @param {HTMLElement} output
 */
function render(s, status, bar, output) {
  switch (s.type) {
    case 'queued':
      return show(
        status,
        'queued',
        `queued: ${s.position + 1} of ${s.queueSize}${s.eta === null ? '' : `, ETA ${s.eta.toFixed(1)} s`}`,
      );
    case 'retrying':
      return show(status, 'queued', `retrying (${s.reason}), attempt ${s.attempt} in ${Math.round(s.delayMs)} ms`);
    case 'running':
      return show(status, 'running', `running${s.eta === null ? '' : `, about ${s.eta.toFixed(1)} s`}`);
    case 'progress': {
      const unit = s.progress[s.progress.length - 1];
      const fraction = unit?.progress ?? (unit?.index != null && unit.length ? unit.index / unit.length : null);
      bar.hidden = fraction === null;
      if (fraction !== null) bar.value = fraction;
      const of = unit?.index != null ? `${unit.index}${unit.length ? `/${unit.length}` : ''} ${unit.unit ?? ''}` : '';
      return show(status, 'running', `progress ${of}${unit?.desc ? ` ${unit.desc}` : ''}`.trim());
    }
    case 'partial':
      showOutput(output, s.data);
      return show(status, 'running', 'running: partial result');
    case 'done':
      bar.hidden = true;
      showOutput(output, s.data);
      return show(status, 'done', `done in ${s.duration.toFixed(2)} s`);
    case 'failed':
      bar.hidden = true;
      return show(status, 'failed', `failed (${s.error.code}): ${s.error.message}`);
  }
}

/**
 * @param {HTMLElement} status
 * @param {string} state
 * @param {string} text
 */
function show(status, state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

/**
 * @param {HTMLElement} output
 * @param {unknown} data
 */
function showOutput(output, data) {
  output.hidden = false;
  output.textContent = JSON.stringify(data, null, 2);
}

/**
 * The model's input signatures, which the CLI reports in /config for a model it serves.
 * @param {App} app
 * @param {EndpointInfo} endpoint
 * @returns {ValueSignature[]}
 */
function modelInputs(app, endpoint) {
  const crowdserve = /** @type {{ endpoints?: Record<string, { signature?: { inputs?: ValueSignature[] } }> }} */ (
    /** @type {Record<string, unknown>} */ (app.config).crowdserve ?? {}
  );
  return (endpoint.apiName && crowdserve.endpoints?.[endpoint.apiName]?.signature?.inputs) || [];
}

/**
 * A value of the given dims: symbolic axes taken as 1, e.g. `[[0, 0, 0]]` for `[N, 3]`.
 * @param {(number | string)[]} dims
 * @returns {string}
 */
function example(dims) {
  /** @param {number} axis @returns {unknown} */
  const build = (axis) => {
    if (axis === dims.length) return 0;
    const size = typeof dims[axis] === 'number' && dims[axis] > 0 ? Math.min(Number(dims[axis]), 4) : 1;
    return Array.from({ length: size }, () => build(axis + 1));
  };
  return JSON.stringify(build(0));
}

/** @param {string} name */
function slug(name) {
  return name.replace(/^\//, '').replace(/\W+/g, '-') || 'root';
}

/**
 * `document.createElement` with properties.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Partial<HTMLElementTagNameMap[K]>} [properties]
 * @returns {HTMLElementTagNameMap[K]}
 */
function element(tag, properties = {}) {
  return Object.assign(document.createElement(tag), properties);
}
