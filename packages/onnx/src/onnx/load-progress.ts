/**
 * Where a model's load is, reported through `onProgress` (as transformers.js' `progress_callback`):
 * `fetch`: bytes of the model and the runtime's WebAssembly over the network, fetched once for all
 * workers (`total` is 0 while a size is unknown); `session`: workers whose session is ready, the
 * WebAssembly compiled (onnxruntime-web compiles it inside its first session, with no signal of
 * its own). `loaded` counts up to `total`.
 */
export interface LoadProgress {
  phase: 'fetch' | 'session';
  loaded: number;
  total: number;
}

export type OnLoadProgress = (progress: LoadProgress) => void;

/**
 * Fetches every URL once, reporting the bytes read so far across all of them; resolves with each
 * body's bytes, in order. A response that is not OK rejects with its URL and status.
 */
export async function fetchWithProgress(
  urls: readonly string[],
  onProgress: OnLoadProgress,
  fetcher: typeof fetch = fetch,
): Promise<ArrayBuffer[]> {
  const loaded = urls.map(() => 0);
  const totals = urls.map(() => 0);
  const report = () =>
    onProgress({ phase: 'fetch', loaded: sum(loaded), total: totals.every((t) => t > 0) ? sum(totals) : 0 });
  const read = async (url: string, i: number): Promise<ArrayBuffer> => {
    const response = await fetcher(url);
    if (!response.ok) throw new Error(`could not fetch ${url}: HTTP ${response.status}`);
    totals[i] = Number(response.headers.get('content-length')) || 0;
    report();
    if (!response.body) return response.arrayBuffer();
    const chunks: Uint8Array[] = [];
    let length = 0;
    const reader = response.body.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      chunks.push(chunk.value);
      loaded[i] = length += chunk.value.byteLength;
      report();
    }
    // A compressed body is longer than its Content-Length: the real size is known now.
    totals[i] = length;
    return concat(chunks, length);
  };
  const bodies = await Promise.all(urls.map(read));
  report();
  return bodies;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function concat(chunks: readonly Uint8Array[], length: number): ArrayBuffer {
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes.buffer;
}
