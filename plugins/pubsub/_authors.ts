/**
 * The authors whose messages the validator recently accepted: for each
 * author bundle, its MeteorID (SHA3-256 of the bundle) and a hybrid verifier
 * with the bundle's keys already imported. A topic's messages come from few
 * authors, so each hop hashes and imports an author's keys once, not once
 * per message (docs/pubsub.md §5).
 *
 * @module
 */
import { constantTimeEqual, toHex } from "../../core/bytes.ts";
import { type HybridVerifier, hybridVerifier } from "../../core/crypto/mod.ts";
import { meteorIdOf, type PublicKeyBundle } from "../../core/identity/mod.ts";

/** How many authors are kept; the least recently seen goes first. */
export const MAX_AUTHORS = 1_024;

/** One author: its bundle, MeteorID and verifier. */
export interface Author {
  /** The public key bundle the envelope carried. */
  bundle: PublicKeyBundle;
  /** SHA3-256 of the bundle. */
  meteorId: Uint8Array;
  /** Verifies the author's hybrid signatures. */
  verifier: HybridVerifier;
}

function sameBundle(a: PublicKeyBundle, b: PublicKeyBundle): boolean {
  return constantTimeEqual(a.ed25519, b.ed25519) && constantTimeEqual(a.mldsa65, b.mldsa65) &&
    constantTimeEqual(a.xwing, b.xwing);
}

/** A bounded cache of authors, by Ed25519 key. */
export class AuthorCache {
  readonly #max: number;
  readonly #authors = new Map<string, Author>();

  /** A cache of at most `max` authors. */
  constructor(max = MAX_AUTHORS) {
    this.#max = max;
  }

  /** How many authors are kept. */
  get size(): number {
    return this.#authors.size;
  }

  /** The kept author of `bundle`, or a new one (kept only once {@link keep} is called). */
  async of(bundle: PublicKeyBundle): Promise<Author> {
    const key = toHex(bundle.ed25519);
    const kept = this.#authors.get(key);
    if (kept && sameBundle(kept.bundle, bundle)) {
      this.#authors.delete(key);
      this.#authors.set(key, kept);
      return kept;
    }
    const copy = {
      ed25519: bundle.ed25519.slice(),
      xwing: bundle.xwing.slice(),
      mldsa65: bundle.mldsa65.slice(),
    };
    return { bundle: copy, meteorId: meteorIdOf(copy), verifier: await hybridVerifier(copy) };
  }

  /** Keeps `author` (call it once a signature of theirs verified), dropping the oldest past the bound. */
  keep(author: Author): void {
    const key = toHex(author.bundle.ed25519);
    this.#authors.delete(key);
    this.#authors.set(key, author);
    for (const oldest of this.#authors.keys()) {
      if (this.#authors.size <= this.#max) break;
      this.#authors.delete(oldest);
    }
  }
}
