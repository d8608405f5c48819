// The environment-agnostic model pieces (pre/post-processing, definitions): safe for the browser
// and Node. The factories with workers are `./node.js` and `./browser.js`.
export {
  DEFAULT_VAD_ENDPOINT_OPTIONS,
  DEFAULT_VAD_OPTIONS,
  encodeVadSamples,
  parseVadSamples,
  vadFeeds,
  vadModel,
  type VadOptions,
} from './vad.js';
export {
  VAD_CONTEXT_SAMPLES,
  VAD_FRAME_SAMPLES,
  VAD_SAMPLE_RATE,
  vadFrameCount,
  vadFrameInput,
  vadFrames,
} from './vad-frames.js';
export {
  DEFAULT_SPEECH_SEGMENT_OPTIONS,
  speechSegments,
  type SpeechSegment,
  type SpeechSegmentOptions,
} from './vad-segments.js';
export { DEFAULT_OCR_ENDPOINT_OPTIONS, DEFAULT_OCR_OPTIONS, ocrModel, type OcrOptions } from './ocr.js';
export { DEFAULT_OCR_MAX_INPUT_PIXELS, parseRgbaImage, type RgbaImage } from './ocr-image.js';
export { decodeBase64, encodeBase64 } from './base64.js';
export {
  DEFAULT_OCR_RESIZE_OPTIONS,
  OCR_INPUT_HEIGHT,
  ocrInputTensor,
  type OcrResizeOptions,
} from './ocr-preprocess.js';
export { ctcGreedyDecode, ocrClasses, type OcrReading } from './ocr-decode.js';
export type { ModelEndpointOptions } from './model-endpoint.js';
