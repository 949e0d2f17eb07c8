/**
 * The compiled ChaCha20 and Poly1305 compute pipelines of one device, and the
 * command that runs both over one packed chunk.
 *
 * @module
 */
import chachaSource from "../../shaders/chacha20.wgsl" with { type: "text" };
import polySource from "../../shaders/poly1305.wgsl" with { type: "text" };
import {
  type Mode,
  MODE_OPEN,
  type PackedChunk,
  PARTIAL_BYTES,
  SEGMENT_BLOCKS,
  TAG_BYTES,
} from "./_pack.ts";
import type { BufferPool } from "./_pool.ts";

/** Invocations per workgroup in both shaders. */
const WORKGROUP = 64;

/** Compiled pipelines of one device. */
export interface AeadKernels {
  /** ChaCha20: Poly1305 keys and XOR of the texts. */
  chacha: GPUComputePipeline;
  /** Poly1305 over each segment of each job. */
  segment: GPUComputePipeline;
  /** Poly1305: segments combined into one tag per job. */
  finish: GPUComputePipeline;
}

/** Compiles both kernels on `device`; rejects when a shader does not compile. */
export async function compileKernels(device: GPUDevice): Promise<AeadKernels> {
  const chachaModule = device.createShaderModule({ code: chachaSource });
  const polyModule = device.createShaderModule({ code: polySource });
  const constants = { SEGMENT_BLOCKS };
  const [chacha, segment, finish] = await Promise.all([
    device.createComputePipelineAsync({
      layout: "auto",
      compute: { module: chachaModule, entryPoint: "main" },
    }),
    device.createComputePipelineAsync({
      layout: "auto",
      compute: { module: polyModule, entryPoint: "segment", constants },
    }),
    device.createComputePipelineAsync({
      layout: "auto",
      compute: { module: polyModule, entryPoint: "finish", constants },
    }),
  ]);
  return { chacha, segment, finish };
}

/** `promise`, or a rejection when it has not settled within `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the device in ${ms} ms`)), ms);
  });
  // A late settlement after the timeout has nobody waiting for it.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Workgroup counts for `invocations`, in two dimensions when one is not enough. */
function groups(device: GPUDevice, invocations: number): [number, number] {
  const needed = Math.max(1, Math.ceil(invocations / WORKGROUP));
  const x = Math.min(needed, device.limits.maxComputeWorkgroupsPerDimension);
  return [x, Math.ceil(needed / x)];
}

/**
 * Runs ChaCha20 then Poly1305 over `chunk` and resolves to a copy of the
 * kernel output: the texts at `chunk.textOffsets` (when sealing, each followed
 * by its tag), then, when opening, one 16-byte tag per job. Every device buffer
 * that held keys or plaintext is cleared before it goes back to the pool (the
 * readback buffer once it has been read). Rejects when the device reports an
 * error, is lost, or has not answered within `timeoutMs` (a hung device).
 */
export async function runKernels(
  device: GPUDevice,
  kernels: AeadKernels,
  pool: BufferPool,
  chunk: PackedChunk,
  mode: Mode,
  timeoutMs: number,
): Promise<Uint8Array> {
  const S = GPUBufferUsage.STORAGE;
  const DST = GPUBufferUsage.COPY_DST;
  const SRC = GPUBufferUsage.COPY_SRC;
  const count = chunk.textOffsets.length;
  const inputBytes = chunk.input.byteLength;
  const tagBytes = count * TAG_BYTES;
  const outputBytes = inputBytes + (mode === MODE_OPEN ? tagBytes : 0);

  const jobs = pool.acquire(chunk.jobWords.byteLength, S | DST);
  const table = pool.acquire(chunk.blockJob.byteLength, S | DST);
  const src = pool.acquire(inputBytes, S | DST);
  const dst = pool.acquire(inputBytes, S | DST | SRC);
  const keys = pool.acquire(count * 32, S | DST);
  const tags = pool.acquire(tagBytes, S | DST | SRC);
  const segmentTable = pool.acquire(chunk.segmentJob.byteLength, S | DST);
  const partial = pool.acquire(chunk.segments * PARTIAL_BYTES, S | DST);
  const info = pool.acquire(16, GPUBufferUsage.UNIFORM | DST);
  const staging = pool.acquire(outputBytes, GPUBufferUsage.MAP_READ | DST);
  const buffers = [jobs, table, src, dst, keys, tags, segmentTable, partial, info, staging];
  let mapping: Promise<undefined> | null = null;
  let mapped = false;
  let scopes = 2;
  device.pushErrorScope("out-of-memory");
  device.pushErrorScope("validation");
  try {
    const queue = device.queue;
    queue.writeBuffer(jobs, 0, chunk.jobWords);
    queue.writeBuffer(table, 0, chunk.blockJob);
    queue.writeBuffer(src, 0, chunk.input);
    queue.writeBuffer(segmentTable, 0, chunk.segmentJob);
    queue.writeBuffer(info, 0, new Uint32Array([count, chunk.blocks, mode, chunk.segments]));

    const bind = (buffer: GPUBuffer, size: number) => ({ buffer, size });
    const chachaGroup = device.createBindGroup({
      layout: kernels.chacha.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: bind(jobs, chunk.jobWords.byteLength) },
        { binding: 1, resource: bind(table, chunk.blockJob.byteLength) },
        { binding: 2, resource: bind(src, inputBytes) },
        { binding: 3, resource: bind(dst, inputBytes) },
        { binding: 4, resource: bind(keys, count * 32) },
        { binding: 5, resource: bind(info, 16) },
      ],
    });
    const segmentGroup = device.createBindGroup({
      layout: kernels.segment.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: bind(jobs, chunk.jobWords.byteLength) },
        { binding: 1, resource: bind(src, inputBytes) },
        { binding: 2, resource: bind(dst, inputBytes) },
        { binding: 3, resource: bind(keys, count * 32) },
        { binding: 5, resource: bind(info, 16) },
        { binding: 6, resource: bind(segmentTable, chunk.segmentJob.byteLength) },
        { binding: 7, resource: bind(partial, chunk.segments * PARTIAL_BYTES) },
      ],
    });
    const finishGroup = device.createBindGroup({
      layout: kernels.finish.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: bind(jobs, chunk.jobWords.byteLength) },
        { binding: 2, resource: bind(dst, inputBytes) },
        { binding: 3, resource: bind(keys, count * 32) },
        { binding: 4, resource: bind(tags, tagBytes) },
        { binding: 5, resource: bind(info, 16) },
        { binding: 7, resource: bind(partial, chunk.segments * PARTIAL_BYTES) },
      ],
    });
    const encoder = device.createCommandEncoder();
    // The kernels write every byte of dst that is read back except the gaps where
    // src has aad; those must not show an earlier chunk's output.
    if (chunk.hasAad) encoder.clearBuffer(dst, 0, inputBytes);
    const pass = encoder.beginComputePass();
    pass.setPipeline(kernels.chacha);
    pass.setBindGroup(0, chachaGroup);
    pass.dispatchWorkgroups(...groups(device, chunk.blocks));
    pass.setPipeline(kernels.segment);
    pass.setBindGroup(0, segmentGroup);
    pass.dispatchWorkgroups(...groups(device, chunk.segments));
    pass.setPipeline(kernels.finish);
    pass.setBindGroup(0, finishGroup);
    pass.dispatchWorkgroups(...groups(device, count));
    pass.end();
    encoder.copyBufferToBuffer(dst, 0, staging, 0, inputBytes);
    if (mode === MODE_OPEN) encoder.copyBufferToBuffer(tags, 0, staging, inputBytes, tagBytes);
    // Keys, one-time Poly1305 keys, partial Poly1305 sums and plaintext must not
    // outlive the command in pooled buffers. Opening, src holds only aad and
    // ciphertext (the caller's input, rewritten before it is read again); sealing,
    // dst holds only this chunk's ciphertext and tags: neither is cleared. Only the
    // bound range is cleared: pooled buffers are larger, and the rest was never written.
    encoder.clearBuffer(jobs, 0, chunk.jobWords.byteLength);
    encoder.clearBuffer(keys, 0, count * 32);
    encoder.clearBuffer(partial, 0, chunk.segments * PARTIAL_BYTES);
    encoder.clearBuffer(mode === MODE_OPEN ? dst : src, 0, inputBytes);
    queue.submit([encoder.finish()]);

    // Mapping is asked for at once, not after the error scopes answer: Deno resolves
    // it on a polling tick (about 10 ms), which then overlaps the scopes' round trip
    // and the packing of the next chunks. The data is used only once both say so.
    mapping = staging.mapAsync(GPUMapMode.READ, 0, outputBytes);
    mapping.catch(() => {});
    scopes = 0;
    // A device that hangs never answers its error scopes: bounded like the mapping.
    const errors = await withTimeout(
      Promise.all([device.popErrorScope(), device.popErrorScope()]),
      timeoutMs,
    );
    const error = errors.find((e) => e !== null);
    if (error) throw new Error(`WebGPU error: ${error.message}`);
    await withTimeout(mapping, timeoutMs);
    mapped = true;
    return new Uint8Array(staging.getMappedRange(0, outputBytes)).slice();
  } finally {
    for (; scopes > 0; scopes--) device.popErrorScope().catch(() => {});
    if (mapped) {
      staging.unmap();
      if (mode === MODE_OPEN) {
        // The readback copy holds plaintext: clear it before the pool hands it out again.
        const clear = device.createCommandEncoder();
        clear.clearBuffer(staging, 0, outputBytes);
        device.queue.submit([clear.finish()]);
      }
    }
    // A readback buffer whose mapping failed or never settled is not reused.
    if (mapping !== null && !mapped) staging.destroy();
    for (const b of buffers) if (b !== staging || mapping === null || mapped) pool.release(b);
  }
}
