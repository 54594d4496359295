/**
 * Fresh typed arrays carved out of 64 KiB slabs.
 *
 * V8 gives a typed array larger than 64 bytes its own off-heap backing store (~0.4-0.7 us per
 * allocation, measured on the 2-core machine kind); a view onto an existing buffer costs ~0.05 us.
 * Environments return a new observation at every step and vector envs a new batch, so at a few
 * microseconds per step the difference is several percent.
 *
 * Every array handed out is distinct and never written again by the slab, so callers may keep it
 * (the contract of `Env.step`). A kept view keeps its whole slab alive: code that stores a few
 * arrays for a long time, sparsely, should store copies (`.slice()`). Never transfer `.buffer`
 * to another thread: it is shared with the neighbouring arrays.
 */
export class TypedArraySlab {
  private buffer: ArrayBuffer;
  private offset = 0;

  constructor(private readonly bytes = 65536) {
    this.buffer = new ArrayBuffer(bytes);
  }

  float32(length: number): Float32Array {
    const start = this.reserve(length * 4);
    return start < 0 ? new Float32Array(length) : new Float32Array(this.buffer, start, length);
  }

  float64(length: number): Float64Array {
    const start = this.reserve(length * 8);
    return start < 0 ? new Float64Array(length) : new Float64Array(this.buffer, start, length);
  }

  uint8(length: number): Uint8Array {
    const start = this.reserve(length);
    return start < 0 ? new Uint8Array(length) : new Uint8Array(this.buffer, start, length);
  }

  /** Byte offset of `byteLength` fresh bytes (8-byte aligned), or -1 when they do not fit a slab. */
  private reserve(byteLength: number): number {
    if (byteLength > this.bytes) return -1;
    let start = (this.offset + 7) & ~7;
    if (start + byteLength > this.bytes) {
      // A new zero-filled slab; the old one lives on as long as arrays cut from it do.
      this.buffer = new ArrayBuffer(this.bytes);
      start = 0;
    }
    this.offset = start + byteLength;
    return start;
  }
}

/**
 * The slab shared by the built-in environments and the vector env: arrays made one after the other
 * (30 patients' observations, then their batch) sit next to each other in cache.
 */
export const sharedSlab = new TypedArraySlab();
