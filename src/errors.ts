/**
 * The error hierarchy. Every error the product raises on purpose is a
 * MailflowGuardError, so the CLI and the handlers can print one line for it
 * and keep stack traces for the unexpected.
 *
 *   MailflowGuardError
 *   ├─ InputError          bad input: a file, request body or entry (exit 1 / HTTP 400)
 *   │   └─ InvalidRangeError   an entry that is not an address, CIDR or range
 *   ├─ ConfigurationError  a bad app setting: the operator's to fix, not the caller's (exit 1 / HTTP 500, logged)
 *   ├─ HttpError           a service answered with an error status
 *   │   └─ ThrottledError      429: wait, do not hammer
 *   ├─ TransportError      no answer: refused, reset, timed out
 *   ├─ HttpProblem         a handler answers its caller with this status (404, 409, 413…)
 *   ├─ MissingFeedError    no feed was ever accepted for an instance
 *   ├─ StaleFeedError      the feed could not be brought up to date and the one in force is too old
 *   └─ StateStoreError     the state store failed (another try may work)
 *       ├─ ConcurrencyError    someone else wrote first (ETag mismatch)
 *       ├─ DamagedDocumentError  a stored document is not what it should be: no retry repairs it
 *       └─ DocumentTooLargeError a document is larger than the store takes: no retry stores it
 */
export class MailflowGuardError extends Error {
  override name = "MailflowGuardError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface InputLocation {
  /** The file, or a description such as "request body". */
  source?: string | undefined;
  /** Where inside it, e.g. `receiveConnectors[0].remoteIPRanges[3]`. */
  path?: string | undefined;
}

/** Bad input. The message reads `source: path: what is wrong, what was expected`. */
export class InputError extends MailflowGuardError {
  override name = "InputError";
  readonly source: string | undefined;
  readonly path: string | undefined;
  /** The problem alone, without the location. */
  readonly detail: string;

  constructor(detail: string, location: InputLocation = {}, options?: { cause?: unknown }) {
    super([location.source, location.path, detail].filter(Boolean).join(": "), options);
    this.detail = detail;
    this.source = location.source;
    this.path = location.path;
  }

  /** The same problem, placed: inner locations stay, outer ones are filled in. */
  at(location: InputLocation): InputError {
    const path = joinPath(location.path, this.path);
    return new InputError(this.detail, { source: this.source ?? location.source, path }, { cause: this });
  }
}

/** `receiveConnectors[0]` + `mode` → `receiveConnectors[0].mode`; `entries` + `[3]` → `entries[3]`. */
function joinPath(outer: string | undefined, inner: string | undefined): string | undefined {
  if (!outer) return inner || undefined;
  if (!inner) return outer;
  return inner.startsWith("[") ? outer + inner : `${outer}.${inner}`;
}

/**
 * A setting of the app (not an input of the request) is missing or not
 * valid. Not an InputError: over HTTP it is a 500 whose line goes to the log,
 * since the caller can do nothing about it and must not learn the settings.
 */
export class ConfigurationError extends MailflowGuardError {
  override name = "ConfigurationError";
}

/** An IP entry that cannot be parsed; `entry` is the offending text. */
export class InvalidRangeError extends InputError {
  override name = "InvalidRangeError";
  readonly entry: string;
  readonly reason: string;
  constructor(entry: string, reason: string, location: InputLocation = {}, options?: { cause?: unknown }) {
    super(`${JSON.stringify(entry)} ${reason}`, location, options);
    this.entry = entry;
    this.reason = reason;
  }

  override at(location: InputLocation): InvalidRangeError {
    const path = joinPath(location.path, this.path);
    return new InvalidRangeError(this.entry, this.reason, { source: this.source ?? location.source, path }, { cause: this });
  }
}

/** What a service's answer told about a failed request, beyond its status. */
export interface ServiceAnswerInfo {
  /** The service's id for the request (`request-id`, `x-ms-request-id`…), for its support. */
  requestId?: string | undefined;
  /** `Retry-After`, in seconds, when the answer carried one. */
  retryAfterSeconds?: number | undefined;
}

/** An HTTP service answered with an error status. The URL is kept without its query. */
export class HttpError extends MailflowGuardError {
  override name = "HttpError";
  readonly status: number;
  readonly method: string;
  readonly url: string;
  readonly requestId: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  constructor(message: string, init: { status: number; method: string; url: string } & ServiceAnswerInfo, options?: { cause?: unknown }) {
    super(message, options);
    this.status = init.status;
    this.method = init.method;
    this.url = redactUrl(init.url);
    this.requestId = init.requestId;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

/** 429: the caller must wait (`retryAfterSeconds` when the service said) before it asks again. */
export class ThrottledError extends HttpError {
  override name = "ThrottledError";
  constructor(message: string, init: { method: string; url: string } & ServiceAnswerInfo, options?: { cause?: unknown }) {
    super(message, { ...init, status: 429 }, options);
  }
}

/** No usable answer: connection refused or reset, DNS failure, timeout, a body cut short. */
export class TransportError extends MailflowGuardError {
  override name = "TransportError";
  readonly url: string;
  /** The attempt ran out of time (rather than the connection failing). */
  readonly timedOut: boolean;
  /** Set when the service answered with headers before the failure. */
  readonly requestId: string | undefined;
  constructor(message: string, url: string, options?: { cause?: unknown; timedOut?: boolean; requestId?: string | undefined }) {
    super(message, options);
    this.url = redactUrl(url);
    this.timedOut = options?.timedOut ?? false;
    this.requestId = options?.requestId;
  }
}

/** An HTTP answer with a status other than 200, raised by a handler and turned into JSON by `answer`. */
export class HttpProblem extends MailflowGuardError {
  override name = "HttpProblem";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** No feed has ever been accepted for the instance, so there is nothing to check against. */
export class MissingFeedError extends MailflowGuardError {
  override name = "MissingFeedError";
  constructor(instance: string, refusedReason?: string) {
    super(
      refusedReason === undefined
        ? `no ${instance} feed has been accepted yet, so there is nothing to check against`
        : `the ${instance} feed was refused (${refusedReason}) and no earlier feed was ever accepted, so there is nothing to check against`,
    );
  }
}

/** The feed could not be brought up to date and the last good one is older than the maximum age: nothing is checked against it. */
export class StaleFeedError extends MailflowGuardError {
  override name = "StaleFeedError";
}

export class StateStoreError extends MailflowGuardError {
  override name = "StateStoreError";
}

/** A stored document that is not valid, damaged or incomplete: reading it again gives the same. */
export class DamagedDocumentError extends StateStoreError {
  override name = "DamagedDocumentError";
}

/** A document the store cannot hold; writing it again fails the same way. */
export class DocumentTooLargeError extends StateStoreError {
  override name = "DocumentTooLargeError";
}

/** A conditional write lost: the document changed since it was read. */
export class ConcurrencyError extends StateStoreError {
  override name = "ConcurrencyError";
}

/**
 * A URL fit for logs and errors: the query (which may carry keys, signatures
 * or client ids) and any user info are dropped.
 *
 * @example redactUrl("https://x.example/a?code=secret") // "https://x.example/a"
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(unparseable URL)";
  }
}

/**
 * Text with every URL in it passed through `redactUrl`, for text a service
 * or a library wrote, which may quote a request with its query.
 *
 * @example redactUrls("see https://x.example/a?sig=secret for more") // "see https://x.example/a for more"
 */
export function redactUrls(text: string): string {
  // Quotes belong to URLs too: a Table entity's is `…/t(PartitionKey='x')?sig=…`.
  return text.replace(/\bhttps?:\/\/[^\s"<>]+/gi, (url) => redactUrl(url));
}

/**
 * Text with every URL in it replaced by a word, for lines that callers see
 * (a run's record over HTTP): a storage error names the account's endpoint,
 * which is the operators' to know, not the callers'.
 *
 * @example withoutUrls("could not read run x from https://acct.table.core.windows.net/t: 503") // "could not read run x from (a URL): 503"
 */
export function withoutUrls(text: string): string {
  return text.replace(/\bhttps?:\/\/[^\s"<>]+/gi, "(a URL)");
}

/** One line for any thrown value: the message of our own errors, a short form of the rest. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}
