/** Draws samples in [-1, 1] (or probabilities in [0, 1] with `unipolar`) as a min/max envelope. */
export function drawWaveform(canvas: HTMLCanvasElement, values: ArrayLike<number>, unipolar = false): void {
  const context = canvas.getContext('2d');
  if (context === null) return;
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  context.fillStyle = unipolar ? '#2f7d5b' : '#4a63c9';
  if (unipolar && values.length < width) {
    // Few values (one probability per 32 ms frame): one bar each, stretched across.
    const step = width / Math.max(1, values.length);
    for (let i = 0; i < values.length; i++) {
      const top = height - (values[i] ?? 0) * height;
      context.fillRect(i * step, top, Math.max(1, step - 1), Math.max(1, height - top));
    }
    return;
  }
  const per = Math.max(1, values.length / width);
  for (let x = 0; x < width && x * per < values.length; x++) {
    let low = Infinity;
    let high = -Infinity;
    for (let i = Math.floor(x * per); i < Math.min(values.length, Math.floor((x + 1) * per)); i++) {
      const v = values[i] ?? 0;
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
    if (unipolar) {
      const top = height - high * height;
      context.fillRect(x, top, 1, Math.max(1, height - top));
    } else {
      const mid = height / 2;
      context.fillRect(x, mid - high * mid, 1, Math.max(1, (high - low) * mid));
    }
  }
}
