// Poly1305 tags for a batch of independent AEAD jobs (RFC 8439 §2.5, §2.8), in u32
// arithmetic only. A job's tag is over the blocks of
//   aad || pad16 || ciphertext || pad16 || le64(len(aad)) || le64(len(ciphertext)).
//
// Arithmetic mod p = 2^130 - 5 uses ten 13-bit limbs (the poly1305-donna 16-bit layout):
// a limb of an operand is below 2^15, a limb of 5 times a (carried) multiplier below
// 2^16, so each product is below 2^31 and each row of a multiplication carries after
// five products: no sum exceeds 2^32.
//
// Two entry points, so that long messages are spread over many invocations:
// - `segment`: one invocation per run of SEGMENT_BLOCKS blocks of one job computes
//   H = sum m_i * r^(end - i) over its blocks (Horner's rule from zero);
// - `finish`: one invocation per job combines its segments,
//   h = (...(H_0 * r^L_1 + H_1) * r^L_2 + ...) + H_last, where L_j is the length of
//   segment j, which equals the sequential RFC 8439 §2.5.1 evaluation; then adds s.
// The one-time key (r || s) comes from chacha20.wgsl's counter-0 block. Sealing writes
// the tag after the ciphertext in dst; opening writes it to `tags` for the host to compare.

const AAD_OFF = 11u;    // word offset of the aad in src
const AAD_LEN = 12u;    // aad length in bytes
const TEXT_OFF = 13u;   // word offset of the text in src and dst
const TEXT_LEN = 14u;   // text length in bytes
const SEG_START = 16u;  // index of this job's first segment in the dispatch
const JOB_WORDS = 17u;
const MODE_SEAL = 0u;   // the ciphertext is dst (just written); otherwise it is src

// Blocks per segment; set by the host (core/gpu/_pack.ts SEGMENT_BLOCKS).
override SEGMENT_BLOCKS: u32 = 32u;

struct Info {
  jobs: u32,
  blocks: u32,
  mode: u32,
  segments: u32,
}

alias Limbs = array<u32, 10>;

@group(0) @binding(0) var<storage, read> jobs: array<u32>;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
@group(0) @binding(3) var<storage, read> polyKeys: array<u32>;
@group(0) @binding(4) var<storage, read_write> tags: array<u32>;
@group(0) @binding(5) var<uniform> info: Info;
@group(0) @binding(6) var<storage, read> segmentJob: array<u32>;
@group(0) @binding(7) var<storage, read_write> partial: array<u32>;

// RFC 8439 §2.5.1: r = first 16 key bytes, clamped (r &= 0x0ffffffc0ffffffc0ffffffc0fffffff);
// the masks apply the clamp while splitting r into 13-bit limbs.
fn clampedR(k: vec4<u32>) -> Limbs {
  let t0 = k.x & 0xffffu;
  let t1 = k.x >> 16u;
  let t2 = k.y & 0xffffu;
  let t3 = k.y >> 16u;
  let t4 = k.z & 0xffffu;
  let t5 = k.z >> 16u;
  let t6 = k.w & 0xffffu;
  let t7 = k.w >> 16u;
  return Limbs(
    t0 & 0x1fffu,
    ((t0 >> 13u) | (t1 << 3u)) & 0x1fffu,
    ((t1 >> 10u) | (t2 << 6u)) & 0x1f03u,
    ((t2 >> 7u) | (t3 << 9u)) & 0x1fffu,
    ((t3 >> 4u) | (t4 << 12u)) & 0x00ffu,
    (t4 >> 1u) & 0x1ffeu,
    ((t4 >> 14u) | (t5 << 2u)) & 0x1fffu,
    ((t5 >> 11u) | (t6 << 5u)) & 0x1f81u,
    ((t6 >> 8u) | (t7 << 8u)) & 0x1fffu,
    (t7 >> 5u) & 0x007fu,
  );
}

fn times5(y: Limbs) -> Limbs {
  var out: Limbs;
  for (var i = 0u; i < 10u; i++) {
    out[i] = y[i] * 5u;
  }
  return out;
}

// x * y mod p, partially reduced (limbs 13 bits, limb 1 a little more); y5 = 5 * y.
fn mul(x: Limbs, y: Limbs, y5: Limbs) -> Limbs {
  var d: Limbs;
  var c = 0u;
  for (var i = 0u; i < 10u; i++) {
    var s = c;
    for (var j = 0u; j < 10u; j++) {
      // 2^130 = 5 (mod p): products past limb 9 wrap around with a factor 5.
      let k = (i + 10u - j) % 10u;
      s += x[j] * select(y5[k], y[k], j <= i);
      if (j == 4u) {
        c = s >> 13u;
        s &= 0x1fffu;
      }
    }
    c += s >> 13u;
    d[i] = s & 0x1fffu;
  }
  c = c * 5u + d[0];
  d[0] = c & 0x1fffu;
  d[1] += c >> 13u;
  return d;
}

fn add(x: Limbs, y: Limbs) -> Limbs {
  var out: Limbs;
  for (var i = 0u; i < 10u; i++) {
    out[i] = x[i] + y[i];
  }
  return out;
}

// Carries every limb down to 13 bits (the value stays congruent mod p).
fn carry(x: Limbs) -> Limbs {
  var out = x;
  var c = 0u;
  for (var i = 0u; i < 10u; i++) {
    out[i] += c;
    c = out[i] >> 13u;
    out[i] &= 0x1fffu;
  }
  out[0] += c * 5u;
  c = out[0] >> 13u;
  out[0] &= 0x1fffu;
  out[1] += c;
  return out;
}

// r^e for 1 <= e, by square-and-multiply; carried, ready to be a multiplier.
fn power(r: Limbs, r5: Limbs, e: u32) -> Limbs {
  var acc = r;
  var bit = 31u - countLeadingZeros(e);
  while (bit > 0u) {
    bit -= 1u;
    acc = carry(mul(acc, acc, times5(acc)));
    if (((e >> bit) & 1u) == 1u) {
      acc = carry(mul(acc, r, r5));
    }
  }
  return acc;
}

// h + m + 2^128 for a full 16-byte block m as four little-endian words (RFC 8439 §2.5.1).
fn addBlock(h: Limbs, m: vec4<u32>) -> Limbs {
  let t0 = m.x & 0xffffu;
  let t1 = m.x >> 16u;
  let t2 = m.y & 0xffffu;
  let t3 = m.y >> 16u;
  let t4 = m.z & 0xffffu;
  let t5 = m.z >> 16u;
  let t6 = m.w & 0xffffu;
  let t7 = m.w >> 16u;
  return Limbs(
    h[0] + (t0 & 0x1fffu),
    h[1] + (((t0 >> 13u) | (t1 << 3u)) & 0x1fffu),
    h[2] + (((t1 >> 10u) | (t2 << 6u)) & 0x1fffu),
    h[3] + (((t2 >> 7u) | (t3 << 9u)) & 0x1fffu),
    h[4] + (((t3 >> 4u) | (t4 << 12u)) & 0x1fffu),
    h[5] + ((t4 >> 1u) & 0x1fffu),
    h[6] + (((t4 >> 14u) | (t5 << 2u)) & 0x1fffu),
    h[7] + (((t5 >> 11u) | (t6 << 5u)) & 0x1fffu),
    h[8] + (((t6 >> 8u) | (t7 << 8u)) & 0x1fffu),
    h[9] + ((t7 >> 5u) | 0x800u), // the 2^128 bit of a full block
  );
}

// Full reduction mod p and the 128-bit sum with s (RFC 8439 §2.5.1), as 4 words.
fn tagOf(x: Limbs, s: vec4<u32>) -> vec4<u32> {
  var h = carry(x);
  // h < 2^130 + 2^15 now. g = h + 5 - 2^130; a carry out of limb 9 means h >= p, and
  // then g = h - p is the result.
  var g: Limbs;
  var c = 5u;
  for (var i = 0u; i < 10u; i++) {
    g[i] = h[i] + c;
    c = g[i] >> 13u;
    g[i] &= 0x1fffu;
  }
  let mask = 0u - c;
  // Either g, or h < p carried upwards into canonical 13-bit limbs (no carry leaves limb 9).
  c = 0u;
  for (var i = 0u; i < 10u; i++) {
    let carried = h[i] + c;
    c = carried >> 13u;
    h[i] = ((carried & 0x1fffu) & ~mask) | (g[i] & mask);
  }
  // The low 128 bits as 32-bit words, plus s with carries (mod 2^128).
  let w = vec4<u32>(
    h[0] | (h[1] << 13u) | (h[2] << 26u),
    (h[2] >> 6u) | (h[3] << 7u) | (h[4] << 20u),
    (h[4] >> 12u) | (h[5] << 1u) | (h[6] << 14u) | (h[7] << 27u),
    (h[7] >> 5u) | (h[8] << 8u) | (h[9] << 21u),
  );
  var out: vec4<u32>;
  var k = 0u;
  for (var i = 0u; i < 4u; i++) {
    let t = w[i] + s[i];
    out[i] = t + k;
    k = select(0u, 1u, t < w[i]) | select(0u, 1u, out[i] < t);
  }
  return out;
}

fn polyKey(job: u32) -> vec4<u32> {
  let k = job * 8u;
  return vec4<u32>(polyKeys[k], polyKeys[k + 1u], polyKeys[k + 2u], polyKeys[k + 3u]);
}

// Block b of a job's Poly1305 input: aad and ciphertext, each zero-padded (the packer and
// chacha20.wgsl store the padding as zeros), then the lengths block.
fn inputBlock(p: u32, b: u32) -> vec4<u32> {
  let aadLen = jobs[p + AAD_LEN];
  let textLen = jobs[p + TEXT_LEN];
  let aadBlocks = (aadLen + 15u) / 16u;
  let textBlocks = (textLen + 15u) / 16u;
  if (b < aadBlocks) {
    let q = jobs[p + AAD_OFF] + b * 4u;
    return vec4<u32>(src[q], src[q + 1u], src[q + 2u], src[q + 3u]);
  }
  if (b < aadBlocks + textBlocks) {
    let q = jobs[p + TEXT_OFF] + (b - aadBlocks) * 4u;
    // The ciphertext: the output of chacha20.wgsl when sealing, the input when opening.
    if (info.mode == MODE_SEAL) {
      return vec4<u32>(dst[q], dst[q + 1u], dst[q + 2u], dst[q + 3u]);
    }
    return vec4<u32>(src[q], src[q + 1u], src[q + 2u], src[q + 3u]);
  }
  return vec4<u32>(aadLen, 0u, textLen, 0u);
}

fn inputBlocks(p: u32) -> u32 {
  return (jobs[p + AAD_LEN] + 15u) / 16u + (jobs[p + TEXT_LEN] + 15u) / 16u + 1u;
}

@compute @workgroup_size(64)
fn segment(@builtin(global_invocation_id) gid: vec3<u32>,
           @builtin(num_workgroups) groups: vec3<u32>) {
  let g = gid.x + gid.y * groups.x * 64u;
  if (g >= info.segments) {
    return;
  }
  let job = segmentJob[g];
  let p = job * JOB_WORDS;
  let r = clampedR(polyKey(job));
  let r5 = times5(r);
  let start = (g - jobs[p + SEG_START]) * SEGMENT_BLOCKS;
  let end = min(start + SEGMENT_BLOCKS, inputBlocks(p));
  var h: Limbs;
  for (var b = start; b < end; b++) {
    h = mul(addBlock(h, inputBlock(p, b)), r, r5);
  }
  for (var i = 0u; i < 10u; i++) {
    partial[g * 10u + i] = h[i];
  }
}

fn loadPartial(g: u32) -> Limbs {
  var out: Limbs;
  for (var i = 0u; i < 10u; i++) {
    out[i] = partial[g * 10u + i];
  }
  return out;
}

@compute @workgroup_size(64)
fn finish(@builtin(global_invocation_id) gid: vec3<u32>,
          @builtin(num_workgroups) groups: vec3<u32>) {
  let job = gid.x + gid.y * groups.x * 64u;
  if (job >= info.jobs) {
    return;
  }
  let p = job * JOB_WORDS;
  let first = jobs[p + SEG_START];
  let blocks = inputBlocks(p);
  let count = (blocks + SEGMENT_BLOCKS - 1u) / SEGMENT_BLOCKS;
  var h = loadPartial(first);
  if (count > 1u) {
    let r = clampedR(polyKey(job));
    let r5 = times5(r);
    let full = power(r, r5, SEGMENT_BLOCKS);
    let full5 = times5(full);
    for (var j = 1u; j + 1u < count; j++) {
      h = add(mul(h, full, full5), loadPartial(first + j));
    }
    let last = power(r, r5, blocks - (count - 1u) * SEGMENT_BLOCKS);
    h = add(mul(h, last, times5(last)), loadPartial(first + count - 1u));
  }
  let k = job * 8u;
  let tag = tagOf(h, vec4<u32>(polyKeys[k + 4u], polyKeys[k + 5u], polyKeys[k + 6u],
                               polyKeys[k + 7u]));

  if (info.mode == MODE_SEAL) {
    // Sealing: the tag goes right after the ciphertext (sealed = ciphertext || tag), at a
    // byte offset that need not be word-aligned; the packer reserves 16 bytes after every
    // padded text. Bytes of the text's last word below the tag are kept.
    let textLen = jobs[p + TEXT_LEN];
    let w = jobs[p + TEXT_OFF] + textLen / 4u;
    let s = (textLen % 4u) * 8u;
    if (s == 0u) {
      dst[w] = tag.x;
      dst[w + 1u] = tag.y;
      dst[w + 2u] = tag.z;
      dst[w + 3u] = tag.w;
    } else {
      let t = 32u - s;
      dst[w] = (dst[w] & ((1u << s) - 1u)) | (tag.x << s);
      dst[w + 1u] = (tag.x >> t) | (tag.y << s);
      dst[w + 2u] = (tag.y >> t) | (tag.z << s);
      dst[w + 3u] = (tag.z >> t) | (tag.w << s);
      dst[w + 4u] = tag.w >> t;
    }
  } else {
    let q = job * 4u;
    tags[q] = tag.x;
    tags[q + 1u] = tag.y;
    tags[q + 2u] = tag.z;
    tags[q + 3u] = tag.w;
  }
}
