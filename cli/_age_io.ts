/**
 * File plumbing for `meteor encrypt` and `meteor decrypt`: the input (a file
 * or stdin), the output (stdout, or a temporary file next to OUT renamed into
 * place only on success, so a failure never leaves partial output), and a
 * progress bar on stderr for large inputs on a terminal.
 *
 * @module
 */
import { dirname } from "node:path";
import type { FileSink, FileSource, StreamOptions } from "../core/age/mod.ts";
import { StreamPool } from "../core/age/stream_pool.ts";
import { MeteorError } from "../core/errors.ts";
import { homePaths } from "../core/home.ts";
import { lazyImport } from "../core/lazy_import.ts";
import { readConfigIfAny } from "./_config.ts";
import { exists } from "./_fs.ts";

/** Inputs at least this large get a progress bar (when stderr is a terminal). */
export const PROGRESS_MIN_BYTES = 16 * 1024 * 1024;
/** Chunks per batch on the WebGPU engine: 4 MiB amortises a dispatch's fixed latency. */
const GPU_WINDOW = 64;
/** Bytes read from the input at a time on the stream path (armor, WebGPU). */
const PIECE_BYTES = 64 * 1024;
/**
 * Inputs smaller than this start no worker: one thread seals 64 MiB in about
 * 55 ms, less than a worker takes to start (a Deno isolate loading
 * node:crypto: 170 ms measured on the loaded 2-core machine of
 * docs/benchmarks.md).
 */
const WORKERS_MIN_BYTES = 64 * 1024 * 1024;
/** The most payload workers. */
const MAX_WORKERS = 8;
/** Mode of output files: owner only, since a plaintext may be secret. */
const OUTPUT_MODE = 0o600;
/** The signals that stop a command, with the status a shell reports (128 + number). */
const STOP_SIGNALS: [Deno.Signal, number][] = Deno.build.os === "windows"
  ? [["SIGINT", 130]] // Deno listens for SIGINT and SIGBREAK only on Windows.
  : [["SIGINT", 130], ["SIGTERM", 143]];

function ioError(action: string, err: unknown): MeteorError {
  if (err instanceof Deno.errors.NotFound) {
    return new MeteorError("E_NOT_FOUND", `Cannot ${action}: no such file or folder`);
  }
  if (err instanceof Deno.errors.BrokenPipe) {
    return new MeteorError("E_IO", `Cannot ${action}: the reader closed the pipe`);
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    return new MeteorError("E_IO", `Cannot ${action}: permission denied`);
  }
  return new MeteorError("E_IO", `Cannot ${action}: ${(err as Error).message}`, { cause: err });
}

/**
 * An opened input: read it through `source` (the file path) or `stream()`
 * (the stream path), not both; `close()` releases it (stdin stays open).
 */
export interface Input {
  /** Reads into a caller's buffer; read errors become E_IO. */
  source: FileSource;
  /** The size when known (a file), else null (stdin). */
  size: number | null;
  /** The rest of the input as a stream of new pieces of {@link PIECE_BYTES}. */
  stream(): ReadableStream<Uint8Array>;
  /** Closes the file (idempotent). */
  close(): void;
  /** Called with the count of each read (a progress bar). */
  onRead?: (bytes: number) => void;
}

/** The input over an open reader; `what` names it in errors. */
function inputOf(
  reader: { read(p: Uint8Array): Promise<number | null>; close(): void },
  size: number | null,
  what: string,
  closable: boolean,
): Input {
  let closed = !closable;
  const close = () => {
    if (closed) return;
    closed = true;
    reader.close();
  };
  const source: FileSource = {
    async read(into) {
      let n: number | null;
      try {
        n = await reader.read(into);
      } catch (err) {
        throw ioError(`read ${what}`, err);
      }
      if (n !== null) input.onRead?.(n);
      return n;
    },
  };
  const stream = () =>
    new ReadableStream<Uint8Array>({
      async pull(controller) {
        const piece = new Uint8Array(PIECE_BYTES);
        const n = await source.read(piece).catch((err) => {
          close();
          throw err;
        });
        if (n === null) {
          close();
          controller.close();
        } else controller.enqueue(piece.subarray(0, n));
      },
      cancel: close,
    }, { highWaterMark: 0 });
  const input: Input = { source, size, stream, close };
  return input;
}

/** Opens `path`, or stdin when it is undefined or "-". */
export async function openInput(path: string | undefined): Promise<Input> {
  if (path === undefined || path === "-") return inputOf(Deno.stdin, null, "stdin", false);
  try {
    const file = await Deno.open(path, { read: true });
    const info = await file.stat();
    if (!info.isFile) {
      file.close();
      throw new MeteorError("E_USAGE", `Cannot read ${path}: not a file`);
    }
    return inputOf(file, info.size, path, true);
  } catch (err) {
    if (err instanceof MeteorError) throw err;
    throw ioError(`read ${path}`, err);
  }
}

/** Whether `path` names an existing device, pipe or socket (not a regular file or folder). */
async function isSpecialFile(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return !info.isFile && !info.isDirectory;
  } catch {
    return false;
  }
}

/** The output: what writes the bytes (into the sink it is given) and resolves to their count. */
export type Produce = (sink: FileSink) => Promise<number>;

/** A producer writing all of `stream`. */
export function fromStream(stream: ReadableStream<Uint8Array>): Produce {
  return async (sink) => {
    let written = 0;
    try {
      for await (const part of stream) {
        await sink.write(part);
        written += part.length;
      }
    } catch (err) {
      await stream.cancel(err).catch(() => {});
      throw err;
    }
    return written;
  };
}

/** A sink writing all of each piece to `writer`, write failures as E_IO. */
function sinkOf(writer: { write(p: Uint8Array): Promise<number> }, what: string): FileSink {
  return {
    async write(bytes) {
      try {
        for (let at = 0; at < bytes.length;) at += await writer.write(bytes.subarray(at));
      } catch (err) {
        throw ioError(`write to ${what}`, err);
      }
    },
  };
}

/**
 * Runs `produce` into stdout (left open) when `path` is undefined or "-",
 * and straight into `path` when it is a device or pipe (such as /dev/null),
 * as to stdout. Otherwise into a temporary file beside `path` that is moved
 * into place only once `produce` succeeded: on any error, and on SIGINT or
 * SIGTERM (which then end the process), it is removed and `path` is
 * untouched. Refuses to replace an existing `path` unless `force` (then
 * `produce` never runs). Resolves to the count
 * `produce` resolved to.
 */
export async function writeOutput(
  produce: Produce,
  path: string | undefined,
  force: boolean,
): Promise<number> {
  if (path === undefined || path === "-") return await produce(sinkOf(Deno.stdout, "stdout"));
  if (await isSpecialFile(path)) {
    using device = await Deno.open(path, { write: true }).catch((err) => {
      throw ioError(`write ${path}`, err);
    });
    return await produce(sinkOf(device, path));
  }
  if (!force && await exists(path)) {
    throw new MeteorError("E_EXISTS", `Cannot write ${path}: it exists (use --force to replace)`);
  }
  let temp: string;
  let file: Deno.FsFile;
  try {
    temp = await Deno.makeTempFile({ dir: dirname(path), prefix: ".meteor-", suffix: ".part" });
    file = await Deno.open(temp, { write: true, truncate: true });
    await Deno.chmod(temp, OUTPUT_MODE).catch(() => {}); // No modes on Windows.
  } catch (err) {
    throw ioError(`write ${path}`, err);
  }
  const stopListening = removeOnSignal(temp);
  try {
    const written = await produce(sinkOf(file, path));
    await file.sync();
    file.close();
    if (force) await Deno.rename(temp, path);
    else await Deno.link(temp, path);
    return written;
  } catch (err) {
    try {
      file.close();
    } catch {
      // Already closed.
    }
    if (err instanceof MeteorError) throw err;
    if (err instanceof Deno.errors.AlreadyExists) {
      throw new MeteorError("E_EXISTS", `Cannot write ${path}: it exists (use --force to replace)`);
    }
    throw ioError(`write ${path}`, err);
  } finally {
    await Deno.remove(temp).catch(() => {});
    stopListening();
  }
}

/**
 * Until the returned function is called, SIGINT or SIGTERM removes `path`
 * (a temporary output that may hold partial plaintext) and exits with the
 * status a shell reports for the signal: the `finally` that removes it on
 * an error never runs when the process is stopped.
 */
function removeOnSignal(path: string): () => void {
  const listeners = STOP_SIGNALS.map(([signal, status]) => {
    const listener = () => {
      try {
        Deno.removeSync(path);
      } catch {
        // Already gone.
      }
      Deno.exit(status);
    };
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  };
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** A progress bar: feed it the bytes read with `count`, call `end()` when done or failed. */
export interface Progress {
  /** Counts bytes read (give it to {@link Input.onRead}). */
  count(bytes: number): void;
  /** Draws the last state and ends the line (once). */
  end(): void;
}

/**
 * A progress bar on stderr, shown only when stderr is a terminal and the
 * input is large (of unknown size: once large); otherwise it only counts.
 */
export function progress(label: string, total: number | null): Progress {
  // An input of unknown size (stdin) gets a bar once it has proved large.
  let show = Deno.stderr.isTerminal() && (total ?? Infinity) >= PROGRESS_MIN_BYTES;
  const encoder = new TextEncoder();
  let done = 0;
  let last = 0;
  const draw = (final: boolean) => {
    const now = Date.now();
    if (!show || (total === null && done < PROGRESS_MIN_BYTES)) return;
    if (!final && now - last < 100) return;
    last = now;
    let line = `${label} ${mib(done)}`;
    if (total !== null && total > 0) {
      const fraction = Math.min(1, done / total);
      const filled = Math.round(fraction * 30);
      const bar = "#".repeat(filled) + ".".repeat(30 - filled);
      line = `${label} [${bar}] ${Math.floor(fraction * 100)}% ${mib(done)} of ${mib(total)}`;
    }
    Deno.stderr.writeSync(encoder.encode(`\r\x1b[K${line}${final ? "\n" : ""}`));
    if (final) show = false;
  };
  return {
    count(bytes) {
      done += bytes;
      draw(false);
    },
    end: () => draw(true),
  };
}

/**
 * How a command processes the payload: the file path (core/age/file.ts)
 * with a pool of workers, or, with `cipher.path` "gpu", the stream path
 * through the WebGPU engine.
 */
export interface PayloadEngine {
  /** The workers of the file path; null on the stream path. */
  pool: StreamPool | null;
  /** Options for encryptStream/decryptStream on the stream path (WebGPU). */
  stream: StreamOptions | null;
  /** Releases the engine (the workers, the GPU device). */
  close(): void;
}

/**
 * Workers for a payload of `size` bytes (null: unknown, stdin): none below
 * {@link WORKERS_MIN_BYTES} (starting one costs more than it saves), else
 * one per core idle now (the logical cores less the 1-minute load average)
 * beyond the one this command runs on, at most {@link MAX_WORKERS}. The
 * calling thread seals too whenever every worker is busy, so a worker pays
 * only on a core of its own: on a loaded machine none starts.
 */
export function payloadWorkers(size: number | null): number {
  if (size !== null && size < WORKERS_MIN_BYTES) return 0;
  let load = 0;
  try {
    load = Deno.loadavg()[0]; // 0 where the system has no load average (Windows).
  } catch {
    // No permission to read it: assume idle cores, as most machines have.
  }
  const idle = Math.floor((navigator.hardwareConcurrency || 1) - load) - 1;
  return Math.max(0, Math.min(MAX_WORKERS, idle));
}

/**
 * The payload engine for a command on an input of `size` bytes: the file
 * path with {@link payloadWorkers} workers, unless the home's config sets
 * `cipher.path` to "gpu", which takes the WebGPU engine (loaded only then).
 * "auto" means the CPU here: a short-lived command would spend more on
 * calibrating than it saves, and per-call native ChaCha20-Poly1305 on
 * workers beats the batch engines on 64 KiB chunks (docs/benchmarks.md).
 */
export async function payloadEngine(home: string, size: number | null): Promise<PayloadEngine> {
  const path = (await readConfigIfAny(homePaths(home).config))?.cipher.path ?? "cpu";
  if (path !== "gpu") {
    const pool = new StreamPool({ workers: payloadWorkers(size) });
    // A known large input: the workers start while the header is made or read.
    if (size !== null) pool.start();
    return { pool, stream: null, close: () => pool.close() };
  }
  // A computed import: a literal one would load the GPU code at every start (core/lazy_import.ts).
  const { createBatchAead } = await lazyImport<typeof import("../core/crypto/batch.ts")>(
    new URL("../core/crypto/batch.ts", import.meta.url),
  );
  const engine = createBatchAead({ path: "gpu" });
  return { pool: null, stream: { engine, window: GPU_WINDOW }, close: () => engine.close() };
}
