// Poly1305 tags for a batch of independent AEAD jobs (RFC 8439 §2.5, §2.8), in u32
// arithmetic only. One invocation computes one job's tag over
//   aad || pad16 || ciphertext || pad16 || le64(len(aad)) || le64(len(ciphertext)).
// The accumulator uses ten 13-bit limbs (the poly1305-donna 16-bit layout): every
// product of a limb of h (< 2^14) with a limb of r or 5r (< 2^16) is below 2^30, and
// each row of the multiplication carries after five products, so no sum exceeds 2^32.
// The one-time key (r || s) comes from chacha20.wgsl's counter-0 block. Sealing writes
// the tag after the ciphertext in dst; opening writes it to `tags` for the host to compare.

const AAD_OFF = 11u;    // word offset of the aad in src
const AAD_LEN = 12u;    // aad length in bytes
const TEXT_OFF = 13u;   // word offset of the text in src and dst
const TEXT_LEN = 14u;   // text length in bytes
const JOB_WORDS = 16u;
const MODE_SEAL = 0u;   // the ciphertext is dst (just written); otherwise it is src

struct Info {
  jobs: u32,
  blocks: u32,
  mode: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> jobs: array<u32>;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
@group(0) @binding(3) var<storage, read> polyKeys: array<u32>;
@group(0) @binding(4) var<storage, read_write> tags: array<u32>;
@group(0) @binding(5) var<uniform> info: Info;

var<private> h: array<u32, 10>;
var<private> r: array<u32, 10>;
var<private> r5: array<u32, 10>;

// RFC 8439 §2.5.1: r is clamped (r &= 0x0ffffffc0ffffffc0ffffffc0fffffff); the masks
// below apply the clamp while splitting r into 13-bit limbs.
fn setKey(t0: u32, t1: u32, t2: u32, t3: u32, t4: u32, t5: u32, t6: u32, t7: u32) {
  r[0] = t0 & 0x1fffu;
  r[1] = ((t0 >> 13u) | (t1 << 3u)) & 0x1fffu;
  r[2] = ((t1 >> 10u) | (t2 << 6u)) & 0x1f03u;
  r[3] = ((t2 >> 7u) | (t3 << 9u)) & 0x1fffu;
  r[4] = ((t3 >> 4u) | (t4 << 12u)) & 0x00ffu;
  r[5] = (t4 >> 1u) & 0x1ffeu;
  r[6] = ((t4 >> 14u) | (t5 << 2u)) & 0x1fffu;
  r[7] = ((t5 >> 11u) | (t6 << 5u)) & 0x1f81u;
  r[8] = ((t6 >> 8u) | (t7 << 8u)) & 0x1fffu;
  r[9] = (t7 >> 5u) & 0x007fu;
  for (var i = 0u; i < 10u; i++) {
    r5[i] = r[i] * 5u;
    h[i] = 0u;
  }
}

// One full 16-byte block m (four little-endian words): h = (h + m + 2^128) * r mod 2^130-5,
// partially reduced (RFC 8439 §2.5.1).
fn block(m: vec4<u32>) {
  let t0 = m.x & 0xffffu;
  let t1 = m.x >> 16u;
  let t2 = m.y & 0xffffu;
  let t3 = m.y >> 16u;
  let t4 = m.z & 0xffffu;
  let t5 = m.z >> 16u;
  let t6 = m.w & 0xffffu;
  let t7 = m.w >> 16u;
  var x: array<u32, 10>;
  x[0] = h[0] + (t0 & 0x1fffu);
  x[1] = h[1] + (((t0 >> 13u) | (t1 << 3u)) & 0x1fffu);
  x[2] = h[2] + (((t1 >> 10u) | (t2 << 6u)) & 0x1fffu);
  x[3] = h[3] + (((t2 >> 7u) | (t3 << 9u)) & 0x1fffu);
  x[4] = h[4] + (((t3 >> 4u) | (t4 << 12u)) & 0x1fffu);
  x[5] = h[5] + ((t4 >> 1u) & 0x1fffu);
  x[6] = h[6] + (((t4 >> 14u) | (t5 << 2u)) & 0x1fffu);
  x[7] = h[7] + (((t5 >> 11u) | (t6 << 5u)) & 0x1fffu);
  x[8] = h[8] + (((t6 >> 8u) | (t7 << 8u)) & 0x1fffu);
  x[9] = h[9] + ((t7 >> 5u) | 0x800u); // the 2^128 bit of a full block
  var c = 0u;
  for (var i = 0u; i < 10u; i++) {
    var d = c;
    for (var j = 0u; j < 10u; j++) {
      // 2^130 = 5 (mod p): limb products that reach past limb 9 wrap with a factor 5.
      let k = (i + 10u - j) % 10u;
      d += x[j] * select(r5[k], r[k], j <= i);
      if (j == 4u) {
        c = d >> 13u;
        d &= 0x1fffu;
      }
    }
    c += d >> 13u;
    h[i] = d & 0x1fffu;
  }
  c = c * 5u + h[0];
  h[0] = c & 0x1fffu;
  h[1] += c >> 13u;
}

// Full reduction mod 2^130-5 and the 128-bit sum with s (RFC 8439 §2.5.1), as 4 words.
fn finish(s: vec4<u32>) -> vec4<u32> {
  var c = h[1] >> 13u;
  h[1] &= 0x1fffu;
  for (var i = 2u; i < 10u; i++) {
    h[i] += c;
    c = h[i] >> 13u;
    h[i] &= 0x1fffu;
  }
  h[0] += c * 5u;
  c = h[0] >> 13u;
  h[0] &= 0x1fffu;
  h[1] += c;
  c = h[1] >> 13u;
  h[1] &= 0x1fffu;
  h[2] += c;
  // g = h + 5 - 2^130; a carry out of limb 9 means h >= p, and then g is the result.
  var g: array<u32, 10>;
  c = 5u;
  for (var i = 0u; i < 10u; i++) {
    g[i] = h[i] + c;
    c = g[i] >> 13u;
    g[i] &= 0x1fffu;
  }
  let mask = 0u - c;
  for (var i = 0u; i < 10u; i++) {
    h[i] = (h[i] & ~mask) | (g[i] & mask);
  }
  // Repack the low 128 bits as 32-bit words and add s with carries (mod 2^128).
  let w0 = h[0] | (h[1] << 13u) | (h[2] << 26u);
  let w1 = (h[2] >> 6u) | (h[3] << 7u) | (h[4] << 20u);
  let w2 = (h[4] >> 12u) | (h[5] << 1u) | (h[6] << 14u) | (h[7] << 27u);
  let w3 = (h[7] >> 5u) | (h[8] << 8u) | (h[9] << 21u);
  var out: vec4<u32>;
  var f = (w0 & 0xffffu) + (s.x & 0xffffu);
  var lo = f & 0xffffu;
  f = (w0 >> 16u) + (s.x >> 16u) + (f >> 16u);
  out.x = lo | (f << 16u);
  f = (w1 & 0xffffu) + (s.y & 0xffffu) + (f >> 16u);
  lo = f & 0xffffu;
  f = (w1 >> 16u) + (s.y >> 16u) + (f >> 16u);
  out.y = lo | (f << 16u);
  f = (w2 & 0xffffu) + (s.z & 0xffffu) + (f >> 16u);
  lo = f & 0xffffu;
  f = (w2 >> 16u) + (s.z >> 16u) + (f >> 16u);
  out.z = lo | (f << 16u);
  f = (w3 & 0xffffu) + (s.w & 0xffffu) + (f >> 16u);
  lo = f & 0xffffu;
  f = (w3 >> 16u) + (s.w >> 16u) + (f >> 16u);
  out.w = lo | (f << 16u);
  return out;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let job = gid.x + gid.y * groups.x * 64u;
  if (job >= info.jobs) {
    return;
  }
  let p = job * JOB_WORDS;
  let k = job * 8u;
  let k0 = polyKeys[k];
  let k1 = polyKeys[k + 1u];
  let k2 = polyKeys[k + 2u];
  let k3 = polyKeys[k + 3u];
  setKey(k0 & 0xffffu, k0 >> 16u, k1 & 0xffffu, k1 >> 16u,
         k2 & 0xffffu, k2 >> 16u, k3 & 0xffffu, k3 >> 16u);

  // RFC 8439 §2.8: aad, zero-padded to 16 bytes (the packer stores the padding as zeros).
  let aadOff = jobs[p + AAD_OFF];
  let aadLen = jobs[p + AAD_LEN];
  let aadBlocks = (aadLen + 15u) / 16u;
  for (var i = 0u; i < aadBlocks; i++) {
    let q = aadOff + i * 4u;
    block(vec4<u32>(src[q], src[q + 1u], src[q + 2u], src[q + 3u]));
  }
  // The ciphertext, zero-padded to 16 bytes: the output of chacha20.wgsl when sealing,
  // the input when opening.
  let textOff = jobs[p + TEXT_OFF];
  let textLen = jobs[p + TEXT_LEN];
  let textBlocks = (textLen + 15u) / 16u;
  if (info.mode == MODE_SEAL) {
    for (var i = 0u; i < textBlocks; i++) {
      let q = textOff + i * 4u;
      block(vec4<u32>(dst[q], dst[q + 1u], dst[q + 2u], dst[q + 3u]));
    }
  } else {
    for (var i = 0u; i < textBlocks; i++) {
      let q = textOff + i * 4u;
      block(vec4<u32>(src[q], src[q + 1u], src[q + 2u], src[q + 3u]));
    }
  }
  // The lengths block: le64(len(aad)) || le64(len(ciphertext)).
  block(vec4<u32>(aadLen, 0u, textLen, 0u));

  let tag = finish(vec4<u32>(polyKeys[k + 4u], polyKeys[k + 5u], polyKeys[k + 6u],
                             polyKeys[k + 7u]));
  if (info.mode == MODE_SEAL) {
    // Sealing: the tag goes right after the ciphertext (sealed = ciphertext || tag), at a
    // byte offset that need not be word-aligned; the packer reserves 16 bytes after every
    // padded text. Bytes of the text's last word below the tag are kept.
    let w = textOff + textLen / 4u;
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
