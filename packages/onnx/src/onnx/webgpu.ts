interface GpuLike {
  requestAdapter(): Promise<unknown>;
}

/**
 * A WebGPU adapter, or null where there is none. Asks twice: the first request can return null
 * while the browser's GPU process is still starting.
 */
export async function requestWebGpuAdapter(
  gpu: GpuLike | undefined = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu,
): Promise<unknown> {
  if (!gpu) return null;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const adapter = await gpu.requestAdapter();
      if (adapter) return adapter;
    } catch {
      // No adapter this time; the next attempt, or WASM, decides.
    }
  }
  return null;
}
