import type { ApiInfo, AppConfig, ConfigComponent, InfoParameter, IoSpec } from '@crowdserve/protocol';
import type { ResolvedEndpoint } from './endpoints.js';

/** The Gradio version we present: ≥ 3.30 makes `@gradio/client` read `/info` and use the WebSocket queue. */
export const GRADIO_VERSION = '3.50.2';
export const CROWDSERVE_VERSION = '0.1.0';

export interface ConfigSettings {
  concurrencyCount: number;
  maxSize: number | null;
  apiOpen: boolean;
  title?: string;
  /**
   * Where the `sse_v3` routes live (`/gradio_api`): `/config` then announces `protocol: 'sse_v3'` and
   * this `api_prefix`; absent: `protocol: 'ws'` (the 3.x WebSocket only).
   */
  apiPrefix?: string;
  /** Whether `/queue/join` answers the 3.x WebSocket (`crowdserve.websocket_queue`). @default true */
  websocketQueue?: boolean;
  /** Per-endpoint facts learned at setup (e.g. `executionProvider`), shown snake_cased. */
  reports?: Record<string, Record<string, unknown>>;
}

const COMPONENT_FOR: Record<string, string> = {
  string: 'textbox',
  number: 'number',
  boolean: 'checkbox',
  array: 'json',
  object: 'json',
  any: 'json',
};
const PYTHON_TYPE: Record<string, string> = {
  string: 'str',
  number: 'float',
  boolean: 'bool',
  array: 'List[Any]',
  object: 'Dict[str, Any]',
  any: 'Any',
};

function snakeCase(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]),
  );
}

/** Undeclared endpoints still get one input and one output, so Gradio clients see a callable API. */
const defaultIo = (label: string): IoSpec[] => [{ label, type: 'any' }];

function ioOf(endpoint: ResolvedEndpoint) {
  return {
    inputs: endpoint.definition.inputs ?? defaultIo('input'),
    outputs: endpoint.definition.outputs ?? defaultIo('output'),
  };
}

/** Numbers each input and output as a component of the page, in the order they are added. */
function componentList() {
  const components: ConfigComponent[] = [];
  const add = (spec: IoSpec): number => {
    const id = components.length + 1;
    components.push({
      id,
      type: COMPONENT_FOR[spec.type] ?? 'json',
      props: { label: spec.label, show_label: true, name: COMPONENT_FOR[spec.type] ?? 'json' },
    });
    return id;
  };
  return { components, add };
}

/** One endpoint as a Gradio 3.50 dependency: its components, `api_name`, batching and generator flag. */
function dependencyOf(endpoint: ResolvedEndpoint, add: (spec: IoSpec) => number) {
  const { inputs, outputs } = ioOf(endpoint);
  const queue = endpoint.queue;
  return {
    id: endpoint.fnIndex,
    targets: [],
    inputs: inputs.map(add),
    outputs: outputs.map(add),
    backend_fn: true,
    js: null,
    queue: null,
    api_name: endpoint.apiName.slice(1),
    scroll_to_output: false,
    show_progress: 'full',
    every: null,
    batch: queue.batch ?? false,
    max_batch_size: queue.batch ? (queue.maxBatchSize ?? 4) : 4,
    cancels: [],
    types: { continuous: false, generator: endpoint.generator },
    collects_event_data: false,
    trigger_after: null,
    trigger_only_on_success: false,
  };
}

/** The `crowdserve` section: what Gradio's config has no field for (the queue's settings, per endpoint). */
function crowdserveSection(
  endpoints: ResolvedEndpoint[],
  settings: ConfigSettings,
): NonNullable<AppConfig['crowdserve']> {
  return {
    version: CROWDSERVE_VERSION,
    // Our own client reads this: beside `protocol: 'sse_v3'`, the 3.x WebSocket is served too.
    websocket_queue: settings.websocketQueue ?? true,
    concurrency_count: settings.concurrencyCount,
    max_size: settings.maxSize,
    api_open: settings.apiOpen,
    endpoints: Object.fromEntries(
      endpoints.map((e) => [
        e.apiName,
        {
          batch: e.queue.batch ?? false,
          max_batch_size: e.queue.batch ? (e.queue.maxBatchSize ?? 4) : 1,
          max_batch_delay_ms: e.queue.maxBatchDelayMs ?? 0,
          concurrency_limit: e.queue.concurrencyLimit ?? null,
          ...snakeCase(settings.reports?.[e.apiName] ?? {}),
        },
      ]),
    ),
  };
}

/** `GET /config`, shaped like Gradio 3.50's so its clients can use the queue. */
export function buildConfig(endpoints: ResolvedEndpoint[], settings: ConfigSettings): AppConfig {
  const { components, add } = componentList();
  const dependencies = endpoints.map((endpoint) => dependencyOf(endpoint, add));
  return {
    version: GRADIO_VERSION,
    mode: 'blocks',
    dev_mode: false,
    analytics_enabled: false,
    title: settings.title ?? 'crowdserve',
    is_space: false,
    enable_queue: true,
    show_error: true,
    show_api: true,
    is_colab: false,
    // @gradio/client 1.x and 2.x follow `protocol`; 0.x ignores it and always opens the WebSocket.
    ...(settings.apiPrefix === undefined
      ? { protocol: 'ws' }
      : { protocol: 'sse_v3', api_prefix: settings.apiPrefix, connect_heartbeat: false }),
    components,
    layout: { id: 0, children: components.map((c) => ({ id: c.id })) },
    dependencies,
    crowdserve: crowdserveSection(endpoints, settings),
  };
}

function parameter(spec: IoSpec, withName: boolean): InfoParameter {
  const python = PYTHON_TYPE[spec.type] ?? 'Any';
  const param: InfoParameter = {
    label: spec.label,
    type: { type: spec.type === 'any' ? 'any' : spec.type },
    python_type: { type: python, description: '' },
    component: (COMPONENT_FOR[spec.type] ?? 'json').replace(/^./, (c) => c.toUpperCase()),
  };
  if (withName) {
    param.parameter_name = spec.label.replace(/\W+/g, '_');
    param.parameter_has_default = false;
  }
  return param;
}

/** `GET /info`: `@gradio/client` will not start without it. */
export function buildInfo(endpoints: ResolvedEndpoint[]): ApiInfo {
  return {
    named_endpoints: Object.fromEntries(
      endpoints.map((e) => {
        const { inputs, outputs } = ioOf(e);
        return [
          e.apiName,
          { parameters: inputs.map((s) => parameter(s, true)), returns: outputs.map((s) => parameter(s, false)) },
        ];
      }),
    ),
    unnamed_endpoints: {},
  };
}
