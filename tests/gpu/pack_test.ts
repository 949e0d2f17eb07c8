import assert from "node:assert/strict";
import type { AeadJob } from "../../core/crypto/batch_types.ts";
import {
  JOB_BYTES,
  JOB_WORDS,
  MODE_OPEN,
  MODE_SEAL,
  packChunk,
  PARTIAL_BYTES,
  planChunks,
  SEGMENT_BLOCKS,
} from "../../core/gpu/_pack.ts";

const job = (length: number, aadLength = 0): AeadJob => ({
  key: new Uint8Array(32).fill(0x11),
  nonce: new Uint8Array(12).fill(0x22),
  data: new Uint8Array(length).fill(0x33),
  aad: aadLength > 0 ? new Uint8Array(aadLength).fill(0x44) : undefined,
});

const all = (jobs: AeadJob[]) => jobs.map((_, i) => i);
const big = { maxInputBytes: 1 << 20, maxBindingBytes: 1 << 20, maxJobs: 1 << 20 };

Deno.test("planChunks() pads aad and text to 16 bytes, adds room for the tag and counts a key block", () => {
  const cases: [number, number, number, number][] = [
    // text, aad, padded input bytes (+16 for the tag), blocks
    [0, 0, 16, 1],
    [1, 0, 32, 2],
    [16, 0, 32, 2],
    [17, 1, 64, 2],
    [63, 15, 96, 2],
    [64, 16, 96, 2],
    [65, 17, 128, 3],
  ];
  for (const [text, aad, bytes, blocks] of cases) {
    const { chunks, oversize } = planChunks([job(text, aad)], [0], MODE_SEAL, big);
    assert.deepEqual(oversize, []);
    assert.deepEqual(chunks, [{ indices: [0], inputBytes: bytes, blocks, segments: 1 }], `${text}`);
  }
});

Deno.test("planChunks() counts the text of an opened job without its tag", () => {
  const { chunks } = planChunks([job(16 + 64)], [0], MODE_OPEN, big);
  assert.deepEqual(chunks, [{ indices: [0], inputBytes: 64, blocks: 2, segments: 1 }]);
});

Deno.test("planChunks() splits at the input limit n-1, n, n+1 and sets oversize jobs apart", () => {
  // 64 + 16 bytes per sealed job of 64 bytes.
  const jobs = [job(64), job(64), job(64), job(240)];
  const limits = (maxInputBytes: number) => ({
    maxInputBytes,
    maxBindingBytes: 1 << 20,
    maxJobs: 1 << 20,
  });
  assert.deepEqual(
    planChunks(jobs, [0, 1, 2], MODE_SEAL, limits(159)).chunks.map((c) => c.indices),
    [[0], [1], [2]],
  );
  assert.deepEqual(
    planChunks(jobs, [0, 1, 2], MODE_SEAL, limits(160)).chunks.map((c) => c.indices),
    [[0, 1], [2]],
  );
  assert.deepEqual(
    planChunks(jobs, [0, 1, 2], MODE_SEAL, limits(161)).chunks.map((c) => c.indices),
    [[0, 1], [2]],
  );
  const { chunks, oversize } = planChunks(jobs, all(jobs), MODE_SEAL, limits(240));
  assert.deepEqual(chunks.map((c) => c.indices), [[0, 1, 2]]);
  assert.deepEqual(oversize, [3]);
});

Deno.test("planChunks() counts Poly1305 segments of SEGMENT_BLOCKS blocks", () => {
  // Blocks: padded aad, padded text, one lengths block.
  const cases: [number, number, number][] = [
    [(SEGMENT_BLOCKS - 1) * 16, 0, 1],
    [(SEGMENT_BLOCKS - 1) * 16 + 1, 0, 2],
    [(SEGMENT_BLOCKS - 2) * 16, 16, 1],
    [(SEGMENT_BLOCKS - 2) * 16, 17, 2],
    [65536, 0, Math.ceil((4096 + 1) / SEGMENT_BLOCKS)],
  ];
  for (const [text, aad, segments] of cases) {
    const { chunks } = planChunks([job(text, aad)], [0], MODE_SEAL, big);
    assert.equal(chunks[0].segments, segments, `${text}/${aad}`);
  }
});

Deno.test("planChunks() keeps job records and partial sums within one binding", () => {
  const jobs = Array.from({ length: 10 }, () => job(0));
  // 5 job records fit a binding of 5 records.
  const byJobs = planChunks(jobs, all(jobs), MODE_SEAL, { ...big, maxBindingBytes: 5 * JOB_BYTES });
  assert.deepEqual(byJobs.chunks.map((c) => c.indices.length), [5, 5]);
  const byCount = planChunks(jobs, all(jobs), MODE_SEAL, { ...big, maxJobs: 3 });
  assert.deepEqual(byCount.chunks.map((c) => c.indices.length), [3, 3, 3, 1]);
  // 10 partial sums fit 400 bytes: three jobs of 3 segments each per chunk, and a job
  // of 11 segments never fits.
  const segmented = [...Array.from({ length: 5 }, () => job(1024)), job(5200)];
  const bySegments = planChunks(segmented, all(segmented), MODE_SEAL, {
    ...big,
    maxBindingBytes: 10 * PARTIAL_BYTES,
  });
  assert.deepEqual(bySegments.chunks.map((c) => c.indices), [[0, 1, 2], [3, 4]]);
  assert.deepEqual(bySegments.oversize, [5]);
});

Deno.test("packChunk() lays out job records, the block table and padded input", () => {
  const jobs = [job(20, 3), job(0), job(70)];
  const { chunks } = planChunks(jobs, all(jobs), MODE_SEAL, big);
  const packed = packChunk(jobs, chunks[0], MODE_SEAL);
  assert.equal(packed.jobWords.length, 3 * JOB_WORDS);
  assert.deepEqual([...packed.blockJob], [0, 0, 1, 2, 2, 2]);
  assert.equal(packed.blocks, 6);
  assert.deepEqual([...packed.textOffsets], [16, 64, 80]);
  assert.deepEqual([...packed.textLengths], [20, 0, 70]);
  // Record of job 0: key, nonce, aad offset/length, text offset/length, first block, first
  // segment.
  const words = (k: number) => [...packed.jobWords.subarray(k * JOB_WORDS, (k + 1) * JOB_WORDS)];
  assert.deepEqual(words(0).slice(8), [0x22222222, 0x22222222, 0x22222222, 0, 3, 4, 20, 0, 0]);
  assert.deepEqual(words(0).slice(0, 8), new Array(8).fill(0x11111111));
  assert.deepEqual(words(2).slice(11), [20, 0, 20, 70, 3, 2]);
  assert.deepEqual([...packed.segmentJob], [0, 1, 2]);
  assert.equal(packed.segments, 3);
  const input = packed.input;
  assert.equal(input.length, (16 + 32 + 16) + (0 + 16) + (80 + 16));
  assert.deepEqual([...input.subarray(0, 16)], [0x44, 0x44, 0x44, ...new Array(13).fill(0)]);
  assert.deepEqual([...input.subarray(16, 36)], new Array(20).fill(0x33));
  assert.deepEqual([...input.subarray(36, 80)], new Array(44).fill(0));
  assert.deepEqual([...input.subarray(80 + 70)], new Array(26).fill(0));
});

Deno.test("packChunk() of opened jobs packs the ciphertext without its tag", () => {
  const jobs = [job(16 + 5)];
  const { chunks } = planChunks(jobs, [0], MODE_OPEN, big);
  const packed = packChunk(jobs, chunks[0], MODE_OPEN);
  assert.deepEqual([...packed.textLengths], [5]);
  assert.deepEqual([...packed.input], [...new Array(5).fill(0x33), ...new Array(11).fill(0)]);
});
