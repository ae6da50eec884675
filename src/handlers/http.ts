import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { decodeText } from "../encoding.js";
import { ConcurrencyError, ConfigurationError, HttpProblem, InputError, oneLine, redactUrls } from "../errors.js";
import { readText } from "../http/body.js";
import { isCliXml } from "../serialised/clixml.js";
import { parseDocument } from "../serialised/document.js";
import { describeValue, parseJson } from "../validation.js";
import type { HandlerDeps } from "./deps.js";

// The handlers import it from here; it lives in the error tree.
export { HttpProblem } from "../errors.js";

const SOURCE = "request body";

/**
 * The one media type the JSON bodies are taken in. `text/json` is obsolete, and `+json` types
 * (`application/merge-patch+json`…) ask for something else than the whole document these endpoints replace.
 */
const JSON_TYPE = "application/json";
const EXPECTED_TYPE = `expected ${JSON_TYPE} (optionally with ; charset=utf-8 or utf-16)`;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { "Cache-Control": "no-store", ...headers } };
}

/** The body of every 500: where to look, nothing else. */
export function internalErrorLine(context: InvocationContext): string {
  return `internal error; see the function log for invocation ${context.invocationId}`;
}

/**
 * Runs an HTTP handler body and classifies what it throws, for every handler
 * in one place: a problem is its own status, bad input a 400, each with its
 * one line. Anything else is the app's (a ConfigurationError, the store, a
 * bug): its line goes to the log, and the body names only the invocation,
 * because store and SDK messages name endpoints and accounts and the settings
 * are not the caller's business. A write that kept losing to other writers
 * is a 409 to try again, for the same reason without its text.
 */
export async function answer(context: InvocationContext, work: () => Promise<HttpResponseInit>): Promise<HttpResponseInit> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HttpProblem) return json(error.status, { error: error.message });
    if (error instanceof InputError) return json(400, { error: error.message });
    // Logs are the operators', but a SAS token in a quoted URL is not for them either.
    const line = redactUrls(oneLine(error));
    if (error instanceof ConcurrencyError) {
      context.warn(`${context.functionName}: ${line}`);
      return json(409, { error: "another request changed the same data at the same time; try again" });
    }
    context.error(`${context.functionName} failed${error instanceof ConfigurationError ? " on the app settings" : ""}: ${line}`);
    return json(500, { error: internalErrorLine(context) });
  }
}

/**
 * The handler's dependencies. Building them reads the app settings, so an
 * InputError there (settingsFromEnv, storageSettingFromEnv) is a bad
 * setting, never the request's input.
 */
export async function loadDeps(deps: () => Promise<HandlerDeps>): Promise<HandlerDeps> {
  try {
    return await deps();
  } catch (error) {
    throw error instanceof InputError ? new ConfigurationError(error.message, { cause: error }) : error;
  }
}

/**
 * The JSON body of a request to a handler, as readJsonBody reads it, sent
 * as application/json: another declared type is refused (415) before a byte
 * is read, and a body without one once it turns out not to be empty, so
 * that an empty body (where it may be empty) needs no Content-Type.
 */
export async function readJsonRequest(request: HttpRequest, limit: number, options: { allowEmpty?: boolean } = {}): Promise<unknown> {
  const declared = request.headers.get("content-type");
  if (declared !== null && !isMediaType(declared, [JSON_TYPE])) {
    throw new HttpProblem(415, `${SOURCE}: Content-Type ${describeValue(declared)} is not accepted; ${EXPECTED_TYPE}`);
  }
  const text = await readBodyText(request, limit);
  if (text.trim() === "") return empty(options);
  if (declared === null) throw new HttpProblem(415, `${SOURCE}: has no Content-Type; ${EXPECTED_TYPE}`);
  return parseJson(text, SOURCE);
}

/** The types an Exchange document is taken in: JSON, or the CLIXML Export-Clixml writes (XML). */
const XML_TYPES = ["application/xml", "text/xml"];
const EXPECTED_DOCUMENT_TYPE = `expected ${JSON_TYPE}, or ${XML_TYPES.join(" or ")} for Export-Clixml output (optionally with ; charset=utf-8 or utf-16)`;

/**
 * An inventory, a state document or a cmdlet's raw output, sent as JSON or
 * as CLIXML: read as readJsonRequest reads JSON, and an XML body must be
 * CLIXML (as `Export-Clixml` writes it).
 */
export async function readDocumentRequest(request: HttpRequest, limit: number): Promise<unknown> {
  const declared = request.headers.get("content-type");
  const xml = declared !== null && isMediaType(declared, XML_TYPES);
  if (declared === null || !(xml || isMediaType(declared, [JSON_TYPE]))) {
    const what = declared === null ? "has no Content-Type" : `Content-Type ${describeValue(declared)} is not accepted`;
    throw new HttpProblem(415, `${SOURCE}: ${what}; ${EXPECTED_DOCUMENT_TYPE}`);
  }
  const text = await readBodyText(request, limit);
  if (text.trim() === "") return empty({});
  if (xml !== isCliXml(text)) {
    throw new InputError(xml ? "is not CLIXML (expected what Export-Clixml writes, <Objs …>)" : "is XML: send it as application/xml", {
      source: SOURCE,
    });
  }
  return parseDocument(text, SOURCE);
}

/**
 * Reads a JSON body of at most `limit` bytes, and stops reading as soon as it
 * is over, whatever its Content-Type (handlers use readJsonRequest). An empty
 * body is an error unless `allowEmpty`, which returns undefined.
 */
export async function readJsonBody(request: HttpRequest, limit: number, options: { allowEmpty?: boolean } = {}): Promise<unknown> {
  const text = await readBodyText(request, limit);
  return text.trim() === "" ? empty(options) : parseJson(text, SOURCE);
}

/** Charsets a body may be labelled with: the encodings it is decoded from (by its byte order mark, see encoding.ts). */
const CHARSETS = new Set(["utf-8", "utf-16", "utf-16le", "utf-16be"]);

/** One of `types`, any case, with parameters; a charset, when named, one the body can be decoded from. */
function isMediaType(contentType: string, types: readonly string[]): boolean {
  const [essence = "", ...parameters] = contentType.split(";");
  if (!types.includes(essence.trim().toLowerCase())) return false;
  return parameters.every((parameter) => {
    const [name = "", value = ""] = parameter.split("=", 2).map((part) => part.trim().toLowerCase());
    return name !== "charset" || CHARSETS.has(value.replace(/^"(.*)"$/, "$1"));
  });
}

function readBodyText(request: HttpRequest, limit: number): Promise<string> {
  return readText(request, {
    limit,
    tooLarge: () => new HttpProblem(413, `${SOURCE}: larger than the limit of ${limit} bytes`),
    decode: (bytes) => decodeText(bytes, SOURCE),
  });
}

function empty(options: { allowEmpty?: boolean }): undefined {
  if (options.allowEmpty) return undefined;
  throw new InputError("is empty: expected JSON", { source: SOURCE });
}
