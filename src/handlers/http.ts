import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { InputError, MailflowGuardError, oneLine } from "../errors.js";
import { parseJson } from "../validation.js";

/** An HTTP answer with a status other than 200, raised by a handler and turned into JSON. */
export class HttpProblem extends MailflowGuardError {
  override name = "HttpProblem";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

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
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limit) throw tooLarge(limit);
  const body = request.body;
  const empty = () => {
    if (options.allowEmpty) return undefined;
    throw new InputError("is empty: expected JSON", { source });
  };
  if (!body) return empty();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch (error) {
    throw new InputError("is not valid UTF-8", { source }, { cause: error });
  }
  return text.trim() === "" ? empty() : parseJson(text, source);
}

function tooLarge(limit: number): HttpProblem {
  return new HttpProblem(413, `request body: larger than the limit of ${limit} bytes`);
}
