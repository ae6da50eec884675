/**
 * What the Exchange Online admin endpoint says when it refuses a request
 * (400, 401, 403), turned into one line with what to do, and the clipping
 * every quoted service text gets.
 */
import { HttpError, oneLine, redactUrls, ThrottledError } from "../errors.js";
import { readBytes } from "../http/body.js";
import { printable } from "../validation.js";

/** The statuses whose body is read here for a better message; the rest keep the HTTP client's. */
export const EXPLAINED = new Set([400, 401, 403]);
const ERROR_BODY_BYTES = 64 * 1024;
const DETAIL_CHARS = 500;
/** `|Type.Name|` or `Ex6F9304|Type.Name|` before a details message: where it came from, not what it says. */
const DETAIL_PREFIX = /^[^|\s]*\|[^|\s]+\|/;

const ADVICE: Record<number, string> = {
  401:
    "Exchange Online refused the token: check the app's certificate (or managed identity), " +
    "that the customer tenant has consented to the app, and that the token is for https://outlook.office365.com",
  403:
    "the app lacks the Exchange.ManageAsApp application permission (with admin consent in this tenant) " +
    "or an Entra role such as Global Reader; Security Reader alone cannot read connectors",
};

/**
 * The body of a refusal as text, its first ERROR_BODY_BYTES; "" when it cannot be read. The status already says
 * what matters, and the service's 403 is NUL bytes labelled `Content-Encoding: gzip`, which fetch fails to inflate:
 * that failure must not pass for a lost connection, which would be retried and lose the advice.
 */
export async function refusalText(response: Response): Promise<string> {
  try {
    return new TextDecoder().decode((await readBytes(response, ERROR_BODY_BYTES)).bytes);
  } catch {
    return "";
  }
}

/** A 400, 401 or 403 again, with what Exchange said and what to do, on one line. */
export function explain(
  error: unknown,
  refusal: { statusText: string; text: string } | undefined,
  cmdlet: string,
  scrub: (text: string) => string,
): unknown {
  if (!(error instanceof HttpError) || error instanceof ThrottledError || refusal === undefined || !EXPLAINED.has(error.status)) return error;
  const said = serviceMessage(refusal.text);
  const detail = [said, ADVICE[error.status]].filter(Boolean).join("; ") || "no reason given";
  const status = `${error.status}${refusal.statusText ? ` ${refusal.statusText}` : ""}`;
  const noted = error.requestId === undefined ? "" : ` (request id ${error.requestId})`;
  return new HttpError(scrub(`${error.method} ${error.url} (${cmdlet}) answered ${status}: ${detail}${noted}`), error, { cause: error });
}

/**
 * The useful sentence of an error body: `error.innererror.internalexception.message` (the cmdlet's own
 * exception), else the messages of `error.details[]` without their `|Type|` prefix, else `error.message`
 * (live, always "Invalid Operation"), else the text itself when it is not JSON. Keys are matched in any case,
 * as PowerShell callers read them (CIPP-API reads `internalException`). A body of NUL bytes says nothing.
 */
function serviceMessage(text: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const error = field(json, "error");
  const candidates = [field(field(field(error, "innererror"), "internalexception"), "message"), details(error), field(error, "message")];
  const found = candidates.find((c): c is string => typeof c === "string" && c.trim() !== "");
  const chosen = found ?? (json === undefined ? text : "");
  const shown = clip(redactUrls(chosen.replaceAll("\u0000", "")));
  return shown === "" ? undefined : shown;
}

/** The distinct messages of `error.details[]`, joined; undefined when there are none. */
function details(error: unknown): string | undefined {
  const list = field(error, "details");
  if (!Array.isArray(list)) return undefined;
  const messages = list.map((d) => field(d, "message")).filter((m): m is string => typeof m === "string");
  const said = [...new Set(messages.map((m) => m.replace(DETAIL_PREFIX, "").trim()).filter((m) => m !== ""))];
  return said.length === 0 ? undefined : said.join("; ");
}

function field(value: unknown, name: string): unknown {
  if (typeof value !== "object" || value === null) return undefined;
  const key = Object.keys(value).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : (value as Record<string, unknown>)[key];
}

export function describe(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function clip(text: string): string {
  const line = printable(oneLine(text));
  return line.length > DETAIL_CHARS ? `${line.slice(0, DETAIL_CHARS)}…` : line;
}
