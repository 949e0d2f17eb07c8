/**
 * WebGPU adapter and device management: finding an adapter (injectable, so
 * tests can simulate a machine without one), opening a device, and noticing
 * when it is lost. Works on real GPUs and on Mesa's llvmpipe software adapter.
 *
 * @module
 */
import { MeteorError } from "../errors.ts";

/** Finds a WebGPU adapter, or resolves to null when there is none. */
export type AdapterProvider = () => Promise<GPUAdapter | null>;

/**
 * The adapter `navigator.gpu` offers, or null when WebGPU is absent or
 * refuses (a runtime without WebGPU, a headless machine without drivers).
 *
 * @example
 * ```ts
 * import { navigatorAdapter } from "./device.ts";
 * const adapter = await navigatorAdapter();
 * console.log(adapter ? adapter.info.description : "no WebGPU adapter");
 * ```
 */
export async function navigatorAdapter(): Promise<GPUAdapter | null> {
  const gpu = (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (gpu === undefined) return null;
  try {
    return await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch {
    return null;
  }
}

/** An open device and what is known about it. */
export interface GpuHandle {
  /** The device. */
  readonly device: GPUDevice;
  /** A human-readable adapter description, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)". */
  readonly adapterName: string;
  /** Whether the adapter is a software or fallback adapter. */
  readonly fallbackAdapter: boolean;
  /** Whether the device has been lost (destroyed, driver reset, out of memory). */
  readonly lost: boolean;
  /** Destroys the device; `lost` becomes true. */
  destroy(): void;
}

/**
 * Opens a device on the adapter `provider` finds. Throws MeteorError
 * `E_GPU_UNAVAILABLE` when there is no adapter or the device cannot be opened.
 *
 * @example
 * ```ts
 * import { navigatorAdapter, openDevice } from "./device.ts";
 * try {
 *   const gpu = await openDevice(navigatorAdapter);
 *   console.log(gpu.adapterName);
 *   gpu.destroy();
 * } catch (err) {
 *   console.log((err as Error).message);
 * }
 * ```
 */
export async function openDevice(provider: AdapterProvider): Promise<GpuHandle> {
  let adapter: GPUAdapter | null;
  try {
    adapter = await provider();
  } catch (err) {
    throw new MeteorError("E_GPU_UNAVAILABLE", "Cannot open WebGPU: adapter request failed", {
      cause: err,
    });
  }
  if (adapter === null) {
    throw new MeteorError("E_GPU_UNAVAILABLE", "Cannot open WebGPU: no WebGPU adapter");
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice();
  } catch (err) {
    throw new MeteorError("E_GPU_UNAVAILABLE", "Cannot open WebGPU: device request failed", {
      cause: err,
    });
  }
  const info = adapter.info;
  const handle = {
    device,
    adapterName: info?.description || info?.vendor || "unknown adapter",
    fallbackAdapter: info?.isFallbackAdapter ?? false,
    lost: false,
    destroy() {
      handle.lost = true;
      globalThis.removeEventListener("unload", release);
      device.destroy();
    },
  };
  // A device still open when the process or worker ends is released first: leaving it to the
  // runtime's teardown corrupted the heap on exit now and then (Deno 2.9 with Mesa lavapipe).
  const release = () => handle.destroy();
  globalThis.addEventListener("unload", release);
  device.lost.then(() => {
    handle.lost = true;
  });
  return handle;
}
