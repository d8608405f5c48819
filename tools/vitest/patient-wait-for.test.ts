import { describe, expect, it, vi } from 'vitest';
import { PATIENT_WAIT_FOR_TIMEOUT_MS } from './patient-wait-for.js';

describe('vi.waitFor under the suite setup', () => {
  it('keeps waiting past the 1 s default while its condition is false', async () => {
    const start = performance.now();
    let ready = false;
    // The condition turns true only after the old default would have given up.
    setTimeout(() => (ready = true), 1500);
    await vi.waitFor(() => expect(ready).toBe(true));
    expect(performance.now() - start).toBeGreaterThanOrEqual(1400);
    expect(PATIENT_WAIT_FOR_TIMEOUT_MS).toBeGreaterThan(1000);
  });

  it('still honours a timeout given by the test', async () => {
    await expect(vi.waitFor(() => expect(false).toBe(true), { timeout: 100 })).rejects.toThrow();
  });
});
