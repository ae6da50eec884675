import type { IncomingHttpHeaders } from "node:http";

/** Helpers the stand-in servers share to record what they were sent. */

export function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The headers with the token replaced: a record a test prints must not carry it. */
export function withoutToken(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const copy = { ...headers };
  const authorization = headerOf(headers, "authorization");
  if (authorization !== undefined) copy.authorization = authorization.replace(/^(\S+)\s+.*$/s, "$1 …");
  return copy;
}

/** JSON when it is JSON, the text otherwise, nothing for an empty body. */
export function parseBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
