/**
 * A pool of GPU buffers by usage and power-of-two size class, so a stream of
 * batches does not create and destroy buffers for every dispatch. It keeps at
 * most a few buffers per class and 128 MiB in all.
 *
 * @module
 */

const MIN_CLASS = 4096;
const PER_CLASS = 4;
/** Pooled bytes kept at most; buffers returned beyond it are destroyed. */
const MAX_POOLED_BYTES = 128 * 1024 * 1024;

function sizeClass(size: number): number {
  let c = MIN_CLASS;
  while (c < size) c *= 2;
  return c;
}

/** Reusable GPU buffers of one device. */
export class BufferPool {
  #device: GPUDevice;
  #free = new Map<string, GPUBuffer[]>();
  #pooledBytes = 0;

  /** A pool for `device`. */
  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** A buffer of at least `size` bytes with exactly `usage`. */
  acquire(size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const bytes = sizeClass(size);
    const reused = this.#free.get(`${usage}:${bytes}`)?.pop();
    if (reused === undefined) return this.#device.createBuffer({ size: bytes, usage });
    this.#pooledBytes -= reused.size;
    return reused;
  }

  /** Returns `buffer` for reuse (or destroys it when its class or the pool is full). */
  release(buffer: GPUBuffer): void {
    const key = `${buffer.usage}:${buffer.size}`;
    const free = this.#free.get(key) ?? [];
    if (free.length >= PER_CLASS || this.#pooledBytes + buffer.size > MAX_POOLED_BYTES) {
      buffer.destroy();
      return;
    }
    free.push(buffer);
    this.#pooledBytes += buffer.size;
    this.#free.set(key, free);
  }

  /** Destroys every pooled buffer. */
  clear(): void {
    for (const free of this.#free.values()) for (const b of free) b.destroy();
    this.#free.clear();
    this.#pooledBytes = 0;
  }
}
