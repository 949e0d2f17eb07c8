/**
 * A pool of GPU buffers by usage and power-of-two size class, so a stream of
 * batches does not create and destroy buffers for every dispatch.
 *
 * @module
 */

const MIN_CLASS = 4096;
const PER_CLASS = 4;

function sizeClass(size: number): number {
  let c = MIN_CLASS;
  while (c < size) c *= 2;
  return c;
}

/** Reusable GPU buffers of one device. */
export class BufferPool {
  #device: GPUDevice;
  #free = new Map<string, GPUBuffer[]>();

  /** A pool for `device`. */
  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** A buffer of at least `size` bytes with exactly `usage`. */
  acquire(size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const bytes = sizeClass(size);
    const free = this.#free.get(`${usage}:${bytes}`);
    return free?.pop() ?? this.#device.createBuffer({ size: bytes, usage });
  }

  /** Returns `buffer` for reuse (or destroys it when its class is full). */
  release(buffer: GPUBuffer): void {
    const key = `${buffer.usage}:${buffer.size}`;
    const free = this.#free.get(key) ?? [];
    if (free.length >= PER_CLASS) {
      buffer.destroy();
      return;
    }
    free.push(buffer);
    this.#free.set(key, free);
  }

  /** Destroys every pooled buffer. */
  clear(): void {
    for (const free of this.#free.values()) for (const b of free) b.destroy();
    this.#free.clear();
  }
}
