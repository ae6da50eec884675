import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { decodeText } from "../encoding.js";
import { HttpProblem, InputError, oneLine } from "../errors.js";
import { readText } from "../http/body.js";
import { parseJson } from "../validation.js";

// The handlers import it from here; it lives in the error tree.
export { HttpProblem } from "../errors.js";

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { "Cache-Control": "no-store", ...headers } };
}

/**
 * Runs an HTTP handler body: bad input becomes a 400 with one line, a
 * problem its own status, anything else a 500 that points to the log
 * without leaking details.
 */
export async function answer(context: InvocationContext, work: () => Promise<HttpResponseInit>): Promise<HttpResponseInit> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HttpProblem) return json(error.status, { error: error.message });
    if (error instanceof InputError) return json(400, { error: error.message });
    context.error(`${context.functionName} failed: ${oneLine(error)}`);
    return json(500, { error: `internal error; see the function log for invocation ${context.invocationId}` });
  }
}

/**
 * Reads a JSON body of at most `limit` bytes, and stops reading as soon as it
 * is over. An empty body is an error unless `allowEmpty`, which returns undefined.
 */
export async function readJsonBody(request: HttpRequest, limit: number, options: { allowEmpty?: boolean } = {}): Promise<unknown> {
  const source = "request body";
  const empty = () => {
    if (options.allowEmpty) return undefined;
    throw new InputError("is empty: expected JSON", { source });
  };
  const text = await readText(request, {
    limit,
    tooLarge: () => new HttpProblem(413, `request body: larger than the limit of ${limit} bytes`),
    decode: (bytes) => decodeText(bytes, source),
  });
  return text.trim() === "" ? empty() : parseJson(text, source);
}
