// ChaCha20 keystream for a batch of independent AEAD jobs (RFC 8439 §2.3, §2.4, §2.6).
// One invocation computes one 64-byte block of one job:
//   counter 0  -> the first 32 bytes are the job's Poly1305 one-time key (RFC 8439 §2.6);
//   counter n  -> bytes 64(n-1) .. 64n-1 of the job's text, XORed with the keystream
//                (RFC 8439 §2.8: payload encryption starts at counter 1).
// The text is written to `dst` at the same word offset it has in `src`; bytes past the
// text's end, up to its 16-byte padding, are written as zeros, since Poly1305 reads them
// as the RFC 8439 §2.8 pad16 of the ciphertext.

// One job record: 17 words (see core/gpu/_pack.ts JOB_WORDS).
const KEY = 0u;         // 8 words, the 32-byte key as little-endian words
const NONCE = 8u;       // 3 words
const TEXT_OFF = 13u;   // word offset of the text in src and dst
const TEXT_LEN = 14u;   // text length in bytes
const BLOCK_START = 15u; // index of this job's counter-0 block in the dispatch
const JOB_WORDS = 17u;

struct Info {
  jobs: u32,
  blocks: u32,
  mode: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> jobs: array<u32>;
@group(0) @binding(1) var<storage, read> blockJob: array<u32>;
@group(0) @binding(2) var<storage, read> src: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<u32>;
@group(0) @binding(4) var<storage, read_write> polyKeys: array<u32>;
@group(0) @binding(5) var<uniform> info: Info;

fn rotl(v: vec4<u32>, n: u32) -> vec4<u32> {
  return (v << vec4<u32>(n)) | (v >> vec4<u32>(32u - n));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let g = gid.x + gid.y * groups.x * 64u;
  if (g >= info.blocks) {
    return;
  }
  let job = blockJob[g];
  let p = job * JOB_WORDS;
  let counter = g - jobs[p + BLOCK_START];

  // RFC 8439 §2.3: constants, key, counter, nonce as four rows of the 4x4 state.
  let a0 = vec4<u32>(0x61707865u, 0x3320646eu, 0x79622d32u, 0x6b206574u);
  let b0 = vec4<u32>(jobs[p + KEY], jobs[p + KEY + 1u], jobs[p + KEY + 2u], jobs[p + KEY + 3u]);
  let c0 = vec4<u32>(jobs[p + KEY + 4u], jobs[p + KEY + 5u], jobs[p + KEY + 6u],
                     jobs[p + KEY + 7u]);
  let d0 = vec4<u32>(counter, jobs[p + NONCE], jobs[p + NONCE + 1u], jobs[p + NONCE + 2u]);
  var a = a0;
  var b = b0;
  var c = c0;
  var d = d0;
  // RFC 8439 §2.3: 20 rounds, alternating column and diagonal rounds; the diagonal
  // round is the column round on rows rotated left by 1, 2 and 3 lanes.
  for (var i = 0u; i < 10u; i++) {
    a += b; d = rotl(d ^ a, 16u);
    c += d; b = rotl(b ^ c, 12u);
    a += b; d = rotl(d ^ a, 8u);
    c += d; b = rotl(b ^ c, 7u);
    b = b.yzwx; c = c.zwxy; d = d.wxyz;
    a += b; d = rotl(d ^ a, 16u);
    c += d; b = rotl(b ^ c, 12u);
    a += b; d = rotl(d ^ a, 8u);
    c += d; b = rotl(b ^ c, 7u);
    b = b.wxyz; c = c.zwxy; d = d.yzwx;
  }
  a += a0;
  b += b0;
  c += c0;
  d += d0;

  if (counter == 0u) {
    // RFC 8439 §2.6: the one-time Poly1305 key is the first 32 bytes of block 0.
    let k = job * 8u;
    polyKeys[k] = a.x; polyKeys[k + 1u] = a.y; polyKeys[k + 2u] = a.z; polyKeys[k + 3u] = a.w;
    polyKeys[k + 4u] = b.x; polyKeys[k + 5u] = b.y; polyKeys[k + 6u] = b.z;
    polyKeys[k + 7u] = b.w;
    return;
  }

  let len = jobs[p + TEXT_LEN];
  let base = jobs[p + TEXT_OFF] + (counter - 1u) * 16u;
  let firstByte = (counter - 1u) * 64u;
  let paddedWords = ((len + 15u) / 16u) * 4u;
  let firstWord = (counter - 1u) * 16u;
  let ks = array<u32, 16>(a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w,
                          c.x, c.y, c.z, c.w, d.x, d.y, d.z, d.w);
  for (var w = 0u; w < 16u; w++) {
    if (firstWord + w >= paddedWords) {
      break;
    }
    let at = firstByte + w * 4u;
    var mask = 0xffffffffu;
    if (at >= len) {
      mask = 0u;
    } else if (len - at < 4u) {
      mask = (1u << ((len - at) * 8u)) - 1u;
    }
    dst[base + w] = (src[base + w] ^ ks[w]) & mask;
  }
}
