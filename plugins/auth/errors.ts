/**
 * The auth plugin's own error codes (docs/auth.md §6), typed into the core's
 * ErrorCodeMap and registered with their HTTP status while it runs.
 *
 * @module
 */

declare module "../../core/errors.ts" {
  interface ErrorCodeMap {
    /** No such challenge or login request. */
    E_AUTH_CHALLENGE: true;
    /** The challenge was answered already. */
    E_AUTH_REPLAYED: true;
    /** The challenge, request, session or revocation is past its time. */
    E_AUTH_EXPIRED: true;
    /** The statement was made for another origin. */
    E_AUTH_ORIGIN: true;
    /** Another device or identity than the one expected, or no such device. */
    E_AUTH_DEVICE: true;
    /** A signature did not verify. */
    E_AUTH_SIGNATURE: true;
    /** No valid session token. */
    E_AUTH_SESSION: true;
    /** The device or session is revoked. */
    E_AUTH_REVOKED: true;
    /** Too many requests from this identity or address. */
    E_AUTH_RATE_LIMITED: true;
  }
}

/** The auth plugin's error codes and their HTTP status. */
export const AUTH_ERRORS = {
  E_AUTH_CHALLENGE: { status: 401, description: "No such challenge or login request" },
  E_AUTH_REPLAYED: { status: 401, description: "The challenge was answered already" },
  E_AUTH_EXPIRED: {
    status: 401,
    description: "The challenge, request, session or revocation has expired",
  },
  E_AUTH_ORIGIN: { status: 401, description: "Made for another origin" },
  E_AUTH_DEVICE: { status: 401, description: "Another or an unknown device or identity" },
  E_AUTH_SIGNATURE: { status: 401, description: "The signature is invalid" },
  E_AUTH_SESSION: { status: 401, description: "No valid session token" },
  E_AUTH_REVOKED: { status: 403, description: "The device or session is revoked" },
  E_AUTH_RATE_LIMITED: { status: 429, description: "Too many requests; retry later" },
} as const;

/** One of the auth plugin's codes. */
export type AuthErrorCode = keyof typeof AUTH_ERRORS;
