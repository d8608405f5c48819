// `vi.waitFor` gives up after 1 s unless told otherwise: a wall-clock window that a loaded CPU can miss (a
// Gradio-client test once failed so on CI's busy machine). Every wait without a timeout of its own gets
// most of the test's timeout instead; what ends a wait is still its condition, checked every 50 ms.
import { vi } from 'vitest';

/** The timeout a `vi.waitFor` without one gets: under the node tests' 30 s, so the wait's error is what shows. */
export const PATIENT_WAIT_FOR_TIMEOUT_MS = 25_000;

const waitFor = vi.waitFor.bind(vi);
vi.waitFor = ((callback: Parameters<typeof waitFor>[0], options?: Parameters<typeof waitFor>[1]) =>
  waitFor(
    callback,
    typeof options === 'number' ? options : { timeout: PATIENT_WAIT_FOR_TIMEOUT_MS, ...options },
  )) as typeof vi.waitFor;
