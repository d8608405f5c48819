import type { EndpointInfo } from '@crowdserve/client';

/** Which input widget and result view an endpoint gets. */
export type EndpointKind = 'text' | 'ocr' | 'vad';

/**
 * Reads it from the endpoint's declared first input (the OCR model takes an `image`, the VAD
 * model `samples`), then from its name; anything else takes text.
 */
export function endpointKind(endpoint: Pick<EndpointInfo, 'apiName' | 'parameters'>): EndpointKind {
  const label = endpoint.parameters[0]?.label;
  if (label === 'image' || endpoint.apiName === '/ocr') return 'ocr';
  if (label === 'samples' || endpoint.apiName === '/vad') return 'vad';
  return 'text';
}

/** What the picker shows for an endpoint. */
export function endpointLabel(endpoint: EndpointInfo): string {
  const name = endpoint.apiName ?? `fn ${endpoint.fnIndex}`;
  const what = { text: 'text', ocr: 'OCR: image of a text line', vad: 'voice activity: audio' }[endpointKind(endpoint)];
  return `${name} (${what}${endpoint.batch ? `, batched ≤ ${endpoint.maxBatchSize}` : ''})`;
}
