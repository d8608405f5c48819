/** What the recognizer read in one line. */
export interface OcrReading {
  text: string;
  /** Mean probability of the characters read (0 when none were). */
  confidence: number;
}

/**
 * The recognizer's classes from its keys (`ppocr_keys_v1.txt`'s text, or its lines): class 0 is
 * CTC's blank, then one class per key, then a space.
 */
export function ocrClasses(keys: string | readonly string[]): string[] {
  const lines = typeof keys === 'string' ? keys.split('\n').map((line) => line.replace(/\r$/, '')) : [...keys];
  if (typeof keys === 'string' && lines.at(-1) === '') lines.pop();
  return ['', ...lines, ' '];
}

/**
 * CTC greedy decoding of `[steps, classes]` probabilities: the most likely class per step,
 * repeats collapsed, blanks (class 0) dropped, the rest mapped to characters. Leading and
 * trailing spaces are trimmed.
 */
export function ctcGreedyDecode(
  probabilities: Float32Array,
  steps: number,
  classCount: number,
  classes: readonly string[],
): OcrReading {
  if (probabilities.length !== steps * classCount) {
    throw new Error(`OCR: expected ${steps}×${classCount} probabilities, got ${probabilities.length}`);
  }
  let text = '';
  let sum = 0;
  let count = 0;
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    const row = t * classCount;
    let best = 0;
    let bestP = probabilities[row] as number;
    for (let c = 1; c < classCount; c++) {
      const p = probabilities[row + c] as number;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== 0 && best !== previous) {
      text += classes[best] ?? '';
      sum += bestP;
      count++;
    }
    previous = best;
  }
  return { text: text.trim(), confidence: count === 0 ? 0 : sum / count };
}
