/** Handlers called as the Functions host calls them: an InvocationContext and an HttpRequest of the library's own classes. */
import { randomUUID } from "node:crypto";
import azureFunctions, { type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";

// The package is CommonJS, and Node finds only some of its names as ESM exports.
const { HttpRequest: Request, InvocationContext: Invocation } = azureFunctions;

/** An InvocationContext as the host passes it, counting what the function logged. */
export function invocation(functionName: string): { context: InvocationContext; warnings: string[]; started: number } {
  const warnings: string[] = [];
  const context = new Invocation({
    functionName,
    invocationId: randomUUID(),
    logHandler: (level, ...args) => {
      if (level === "warning" || level === "error") warnings.push(`${functionName} ${level}: ${args.map(String).join(" ")}`);
    },
  });
  return { context, warnings, started: performance.now() };
}

export function request(method: string, url: string, body?: string, params: Record<string, string> = {}): HttpRequest {
  return new Request({
    method,
    url,
    ...(body === undefined ? {} : { body: { string: body } }),
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    params,
  });
}

export async function callHttp(
  handler: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>,
  functionName: string,
  method: string,
  url: string,
  body: string,
  params: Record<string, string> = {},
): Promise<HttpResponseInit> {
  return handler(request(method, url, body, params), invocation(functionName).context);
}

export function queryString(query: Record<string, string>): string {
  const text = new URLSearchParams(query).toString();
  return text ? `?${text}` : "";
}
