/**
 * File plumbing for `meteor encrypt` and `meteor decrypt`: the input (a file
 * or stdin), the output (stdout, or a temporary file next to OUT renamed into
 * place only on success, so a failure never leaves partial output), and a
 * progress bar on stderr for large inputs on a terminal.
 *
 * @module
 */
import { dirname } from "node:path";
import type { StreamOptions } from "../core/age/mod.ts";
import { createBatchAead } from "../core/crypto/batch.ts";
import { defaultWorkerCount } from "../core/crypto/batch_workers.ts";
import { MeteorError } from "../core/errors.ts";
import { homePaths } from "../core/home.ts";
import { readConfigIfAny } from "./_config.ts";
import { exists } from "./_fs.ts";

/** Inputs at least this large get a progress bar (when stderr is a terminal). */
export const PROGRESS_MIN_BYTES = 16 * 1024 * 1024;
/** Chunks per batch on the WebGPU engine: 4 MiB amortises a dispatch's fixed latency. */
const GPU_WINDOW = 64;
/**
 * Bytes read from the input at a time: one STREAM window (16 chunks of
 * 64 KiB), so a window is mostly views of one piece and costs one read.
 */
const PIECE_BYTES = 16 * 64 * 1024;
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

/** An opened input: its byte stream and its size when known. */
export interface Input {
  stream: ReadableStream<Uint8Array>;
  size: number | null;
}

/**
 * The bytes of `source` in pieces of {@link PIECE_BYTES} (fewer only at the
 * end), each a new array: the STREAM takes its chunks as views of them.
 * Closes `source` at the end or on cancel when `close` is set.
 */
function pieces(
  source: { read(p: Uint8Array): Promise<number | null>; close(): void },
  close: boolean,
): ReadableStream<Uint8Array> {
  const done = () => {
    if (close) source.close();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const piece = new Uint8Array(PIECE_BYTES);
      let used = 0;
      try {
        while (used < piece.length) {
          const n = await source.read(piece.subarray(used));
          if (n === null) break;
          used += n;
        }
      } catch (err) {
        done();
        throw err;
      }
      if (used > 0) controller.enqueue(piece.subarray(0, used));
      if (used < piece.length) {
        done();
        controller.close();
      }
    },
    cancel: done,
  }, { highWaterMark: 0 });
}

/** Opens `path`, or stdin when it is undefined or "-". */
export async function openInput(path: string | undefined): Promise<Input> {
  if (path === undefined || path === "-") return { stream: pieces(Deno.stdin, false), size: null };
  try {
    const file = await Deno.open(path, { read: true });
    const info = await file.stat();
    if (!info.isFile) {
      file.close();
      throw new MeteorError("E_USAGE", `Cannot read ${path}: not a file`);
    }
    return { stream: pieces(file, true), size: info.size };
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

/** Writes all of `stream` to an open writer, mapping failures to E_IO. */
async function pumpInto(
  stream: ReadableStream<Uint8Array>,
  writer: { write(p: Uint8Array): Promise<number> },
  what: string,
): Promise<number> {
  try {
    return await pump(stream, (b) => writeAll(writer, b));
  } catch (err) {
    if (err instanceof MeteorError) throw err;
    await stream.cancel(err).catch(() => {});
    throw ioError(`write to ${what}`, err);
  }
}

/**
 * Writes `stream` to stdout (left open) when `path` is undefined or "-", and
 * straight into `path` when it is a device or pipe (such as /dev/null), as to
 * stdout. Otherwise writes to a temporary file beside `path` that is moved
 * into place only once the whole stream was written: on any error, and on
 * SIGINT or SIGTERM (which then end the process), it is removed and `path`
 * is untouched. Refuses to replace an existing `path`
 * unless `force`. Resolves to the number of bytes written.
 */
export async function writeOutput(
  stream: ReadableStream<Uint8Array>,
  path: string | undefined,
  force: boolean,
): Promise<number> {
  if (path === undefined || path === "-") return await pumpInto(stream, Deno.stdout, "stdout");
  if (await isSpecialFile(path)) {
    using device = await Deno.open(path, { write: true }).catch(async (err) => {
      await stream.cancel();
      throw ioError(`write ${path}`, err);
    });
    return await pumpInto(stream, device, path);
  }
  if (!force && await exists(path)) {
    await stream.cancel();
    throw new MeteorError("E_EXISTS", `Cannot write ${path}: it exists (use --force to replace)`);
  }
  let temp: string;
  let file: Deno.FsFile;
  try {
    temp = await Deno.makeTempFile({ dir: dirname(path), prefix: ".meteor-", suffix: ".part" });
    file = await Deno.open(temp, { write: true, truncate: true });
    await Deno.chmod(temp, OUTPUT_MODE).catch(() => {}); // No modes on Windows.
  } catch (err) {
    await stream.cancel();
    throw ioError(`write ${path}`, err);
  }
  const stopListening = removeOnSignal(temp);
  try {
    const written = await pump(stream, (b) => writeAll(file, b));
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

async function writeAll(w: { write(p: Uint8Array): Promise<number> }, bytes: Uint8Array) {
  for (let at = 0; at < bytes.length;) at += await w.write(bytes.subarray(at));
}

async function pump(
  stream: ReadableStream<Uint8Array>,
  write: (bytes: Uint8Array) => Promise<void>,
): Promise<number> {
  let written = 0;
  for await (const part of stream) {
    await write(part);
    written += part.length;
  }
  return written;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** A progress bar: pipe bytes through `stream`, call `end()` when done or failed. */
export interface Progress {
  /** Passes bytes through, counting them. */
  stream: TransformStream<Uint8Array, Uint8Array>;
  /** Draws the last state and ends the line (once). */
  end(): void;
}

/**
 * A progress bar on stderr, shown only when stderr is a terminal and the
 * input is large (of unknown size: once large); otherwise bytes only pass through.
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
    stream: new TransformStream({
      transform(chunk, controller) {
        done += chunk.length;
        draw(false);
        controller.enqueue(chunk);
      },
    }),
    end: () => draw(true),
  };
}

/** The payload engine for a command, and how to release it. */
export interface PayloadEngine {
  /** Options for encryptStream/decryptStream. */
  options: StreamOptions;
  /** Releases the engine (the GPU device, the workers). */
  close(): void;
}

/**
 * Workers worth starting for the payload: one per core idle now (the logical
 * cores less the 1-minute load average) beyond the one this command runs on,
 * at most {@link defaultWorkerCount}. A worker pays only on a core of its
 * own: the calling thread stays busy reading, packing and writing, and a
 * worker sharing its core costs CPU for nothing (measured on a shared 2-core
 * machine: 50% more CPU, no faster). On such a machine that is no worker.
 */
export function spareWorkers(): number {
  let load = 0;
  try {
    load = Deno.loadavg()[0]; // 0 where the system has no load average (Windows).
  } catch {
    // No permission to read it: assume idle cores, as most machines have.
  }
  const idle = Math.floor(navigator.hardwareConcurrency - load) - 1;
  return Math.max(0, Math.min(defaultWorkerCount(), idle));
}

/**
 * The batch engine for the payload: the WebGPU engine when the home's config
 * sets `cipher.path` to "gpu", else the CPU. "auto" means the CPU here: a
 * short-lived command would spend more on calibrating than it saves. On the
 * CPU, whole windows (1 MiB) go to {@link spareWorkers} workers, smaller
 * inputs stay on the calling thread (batch.ts WORKER_MIN_BATCH_BYTES): a
 * small file starts no worker.
 */
export async function payloadEngine(home: string): Promise<PayloadEngine> {
  const path = (await readConfigIfAny(homePaths(home).config))?.cipher.path ?? "cpu";
  if (path !== "gpu") {
    const engine = createBatchAead({ path: "cpu", workers: spareWorkers() });
    return { options: { engine }, close: () => engine.close() };
  }
  const engine = createBatchAead({ path: "gpu" });
  return { options: { engine, window: GPU_WINDOW }, close: () => engine.close() };
}
