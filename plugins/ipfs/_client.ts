/**
 * The streaming half of the CLI's client of the daemon (the kit's
 * ApiClient speaks JSON only): uploads a file body to POST /v1/files and
 * streams GET /v1/files/{cid} back, with the home's URL and token.
 *
 * @module
 */
import { readApiToken } from "../../core/api_token.ts";
import { isErrorCode, MeteorError } from "../../core/errors.ts";
import { homePaths } from "../../core/home.ts";
import { apiClientFor } from "../../cli/_api.ts";

/** The error a failed answer carries, as a MeteorError with its code (E_INTERNAL if unknown here). */
async function answerError(res: Response): Promise<MeteorError> {
  const text = await res.text();
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = JSON.parse(text)?.error;
  } catch {
    // Not JSON: reported by status below.
  }
  const code = typeof error?.code === "string" && isErrorCode(error.code)
    ? error.code
    : "E_INTERNAL";
  const message = typeof error?.message === "string"
    ? error.message
    : `Cannot complete request: the daemon answered HTTP ${res.status}`;
  return new MeteorError(code, message);
}

/** Sends a request with a streamed body (or none) and resolves to the OK response. */
export async function streamRequest(
  home: string,
  method: string,
  path: string,
  body?: ReadableStream<Uint8Array>,
): Promise<Response> {
  const client = await apiClientFor(home);
  const token = await readApiToken(homePaths(home).apiToken);
  let res: Response;
  try {
    res = await fetch(`${client.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { "content-type": "application/octet-stream" } : {}),
      },
      body,
    });
  } catch (err) {
    throw new MeteorError(
      "E_UNREACHABLE",
      `Cannot reach the daemon at ${client.url}: is 'meteor daemon' running? (${
        (err as Error).message
      })`,
    );
  }
  if (!res.ok) throw await answerError(res);
  return res;
}
