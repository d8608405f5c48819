import { JsonDepthScan } from '../core/json-guard.js';

const OPCODE_CONTINUATION = 0x0;
const OPCODE_TEXT = 0x1;
/** The longest client frame header: 2 bytes, a 64-bit length, a 4-byte mask (RFC 6455 §5.2). */
const MAX_HEADER = 14;

/** A cap on the messages nobody asked for: past `maxBytes` while `asked()` is false, `tooLarge`. */
export interface UnaskedLimit {
  maxBytes: number;
  asked: () => boolean;
  tooLarge: (bytes: number) => void;
}

/**
 * Counts the nesting of a WebSocket's incoming text messages in the connection's own bytes, as they
 * arrive. `ws` hands a message over only once it is whole: by then it has received, unmasked and
 * copied all of it (up to `maxPayloadBytes`), which is what one connection sending `[[[[…` costs the
 * event loop (issue 24.2). Here the first chunk past the budget is enough to say so.
 *
 * It follows the frames from the connection's first byte (control frames interleaved, messages in
 * fragments); text messages from `firstChecked` on (0-based) are scanned. Bytes it cannot read as
 * frames end the watch: `ws` refuses them itself. With `unasked`, a message from `firstChecked` on
 * whose frame headers announce more than its `maxBytes` while nothing asked for it is refused at its
 * header, before its payload is received.
 */
export class FrameDepthWatch {
  private readonly header = Buffer.alloc(MAX_HEADER);
  private headerBytes = 0;
  /** Payload bytes left of the current frame; -1 while reading a header. */
  private left = -1;
  private offset = 0;
  private mask = 0;
  private dataFrame = false;
  private fin = false;
  /** Whether the current message's payload is counted. */
  private scanning = false;
  private messages = 0;
  /** Payload bytes the current message's frame headers have announced. */
  private messageBytes = 0;
  private scan: JsonDepthScan;
  private stopped = false;

  constructor(
    private readonly maxDepth: number,
    private readonly firstChecked: number,
    private readonly tooDeep: () => void,
    private readonly unasked?: UnaskedLimit,
  ) {
    this.scan = new JsonDepthScan(maxDepth);
  }

  /** Takes the connection's next bytes; calls `tooDeep` (once) at the first byte past the budget. */
  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length && !this.stopped) {
      if (this.left < 0) i = this.readHeader(chunk, i);
      else i = this.readPayload(chunk, i);
    }
  }

  private readHeader(chunk: Buffer, start: number): number {
    let i = start;
    while (i < chunk.length && this.headerBytes < this.headerLength()) this.header[this.headerBytes++] = chunk[i++]!;
    if (this.headerBytes < this.headerLength()) return i;
    const h = this.header;
    const length7 = h[1]! & 0x7f;
    const masked = (h[1]! & 0x80) !== 0;
    const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
    const length =
      extended === 0
        ? length7
        : extended === 2
          ? h.readUInt16BE(2)
          : h.readUInt32BE(2) * 0x1_0000_0000 + h.readUInt32BE(6);
    // A client's frames are masked: one that is not is refused by `ws`.
    if (!masked || !Number.isSafeInteger(length)) return this.stop();
    this.mask = h.readUInt32BE(2 + extended);
    const opcode = h[0]! & 0x0f;
    // Control frames (0x8 and up) may come between a message's fragments: they neither end it nor are scanned.
    this.dataFrame = opcode < 0x8;
    this.fin = (h[0]! & 0x80) !== 0;
    if (this.dataFrame) {
      if (opcode !== OPCODE_CONTINUATION) {
        this.scanning = opcode === OPCODE_TEXT && this.messages >= this.firstChecked;
        this.messageBytes = 0;
      }
      this.messageBytes += length;
      if (this.unasked !== undefined && this.isUnaskedPast(this.unasked)) {
        this.stop();
        this.unasked.tooLarge(this.messageBytes);
        return i;
      }
    }
    this.headerBytes = 0;
    this.left = length;
    this.offset = 0;
    if (length === 0) this.endFrame();
    return i;
  }

  private readPayload(chunk: Buffer, start: number): number {
    const end = Math.min(chunk.length, start + this.left);
    if (this.dataFrame && this.scanning) {
      const mask = this.mask;
      let offset = this.offset;
      for (let i = start; i < end; i++, offset++) {
        const key = (mask >>> (24 - 8 * (offset & 3))) & 0xff;
        if (this.scan.step(chunk[i]! ^ key)) {
          this.stop();
          this.tooDeep();
          return end;
        }
      }
    }
    this.offset += end - start;
    this.left -= end - start;
    if (this.left === 0) this.endFrame();
    return end;
  }

  private endFrame(): void {
    this.left = -1;
    if (this.dataFrame && this.fin) {
      this.messages++;
      this.scanning = false;
      this.scan = new JsonDepthScan(this.maxDepth);
    }
  }

  private isUnaskedPast(limit: UnaskedLimit): boolean {
    return this.messages >= this.firstChecked && this.messageBytes > limit.maxBytes && !limit.asked();
  }

  /** How long the header being read is, from what of it has come (2 bytes tell the rest). */
  private headerLength(): number {
    if (this.headerBytes < 2) return 2;
    const length7 = this.header[1]! & 0x7f;
    return 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + ((this.header[1]! & 0x80) !== 0 ? 4 : 0);
  }

  private stop(): number {
    this.stopped = true;
    return Number.MAX_SAFE_INTEGER;
  }
}
