/**
 * Dynamic imports that Deno does not load at start-up. Deno loads the module
 * graph of every `import("literal")` when the process starts, taken or not
 * (measured: a never-taken `import()` of the IPFS plugin cost a command 59 ms,
 * docs/benchmarks.md "CLI start-up"); a specifier computed at run time is
 * loaded only when the import runs. The command table and the built-in
 * plugin loaders use this, and `deno compile` includes those folders itself
 * (deno.json's compile task).
 *
 * @module
 */

/**
 * Imports the module at `url` when called; `M` is its type
 * (`typeof import("./x.ts")`, a type-only reference Deno does not load).
 *
 * @example
 * ```ts ignore
 * const { initCommand } = await lazyImport<typeof import("./init.ts")>(
 *   new URL("./init.ts", import.meta.url),
 * );
 * ```
 */
export function lazyImport<M>(url: URL): Promise<M> {
  return import(url.href) as Promise<M>;
}
