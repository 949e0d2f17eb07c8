/**
 * Loads the CCTV age test vectors (C2SP/CCTV age/testdata): each file is a
 * "key: value" header, an empty line, then an age file, maybe zlib-compressed.
 *
 * @module
 */
import { vectorsDir } from "../_vectors.ts";

/** The outcomes a vector may expect. */
export type Expect =
  | "success"
  | "no match"
  | "HMAC failure"
  | "header failure"
  | "payload failure"
  | "armor failure";

/** One CCTV age vector. */
export interface AgeVector {
  name: string;
  expect: Expect;
  /** SHA-256 of the plaintext released before success or failure, hex. */
  payload?: string;
  fileKey?: string;
  identities: string[];
  passphrases: string[];
  armored: boolean;
  file: Uint8Array;
}

const EXPECTS = new Set<string>([
  "success",
  "no match",
  "HMAC failure",
  "header failure",
  "payload failure",
  "armor failure",
]);

async function parse(name: string, bytes: Uint8Array): Promise<AgeVector> {
  const v: AgeVector = {
    name,
    expect: "success",
    identities: [],
    passphrases: [],
    armored: false,
    file: bytes,
  };
  let compressed = false;
  let pos = 0;
  for (;;) {
    const lf = bytes.indexOf(0x0a, pos);
    if (lf < 0) throw new Error(`${name}: no empty line before the file`);
    const line = new TextDecoder().decode(bytes.subarray(pos, lf));
    pos = lf + 1;
    if (line === "") break;
    const at = line.indexOf(": ");
    const [key, value] = [line.slice(0, at), line.slice(at + 2)];
    if (key === "expect") {
      if (!EXPECTS.has(value)) throw new Error(`${name}: unknown expect ${value}`);
      v.expect = value as Expect;
    } else if (key === "payload") v.payload = value;
    else if (key === "file key") v.fileKey = value;
    else if (key === "identity") v.identities.push(value);
    else if (key === "passphrase") v.passphrases.push(value);
    else if (key === "armored") v.armored = value === "yes";
    else if (key === "compressed") {
      if (value !== "zlib") throw new Error(`${name}: unknown compression ${value}`);
      compressed = true;
    }
  }
  const body = bytes.slice(pos);
  v.file = compressed
    ? new Uint8Array(
      await new Response(new Blob([body]).stream().pipeThrough(new DecompressionStream("deflate")))
        .arrayBuffer(),
    )
    : body;
  return v;
}

/** Every vector in `<vectors>/age`, sorted by name; throws if there are none. */
export async function loadAgeVectors(): Promise<AgeVector[]> {
  const dir = `${vectorsDir()}/age`;
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && !entry.name.includes(".")) names.push(entry.name);
  }
  names.sort();
  const vectors = await Promise.all(
    names.map(async (n) => parse(n, await Deno.readFile(`${dir}/${n}`))),
  );
  if (vectors.length === 0) throw new Error(`no age vectors found in ${dir}`);
  return vectors;
}
