// @ts-check
// The one list of Chromium flags for every browser this repo launches (Playwright e2e, Vitest
// browser mode, the browser bench): DESIGN.md §7. Plain JS without imports, so configs, TS tests
// and bench scripts all load it.

/** Debian's chromium, where `.ci/run` installs it. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** `--enable-unsafe-webgpu` gives a real WebGPU adapter on CPU (SwiftShader) without a GPU. */
export const WEBGPU_ARG = '--enable-unsafe-webgpu';

/** No sandbox (containers), nothing that phones home, no /dev/shm limits, and a WebGPU adapter. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  WEBGPU_ARG,
];

/** The same flags without WebGPU. */
export const CHROMIUM_ARGS_NO_WEBGPU = CHROMIUM_ARGS.filter((arg) => arg !== WEBGPU_ARG);
