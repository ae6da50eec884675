import { HttpRequest } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { HttpProblem, InputError } from "../errors.js";
import { readJsonBody } from "../handlers/http.js";
import { readBytes, readText } from "./body.js";

/** A stream of `chunk` repeated forever (or `count` times), counting what was pulled and whether it was cancelled. */
function chunks(chunk: string, count = Number.POSITIVE_INFINITY) {
  const seen = { pulled: 0, cancelled: false };
  const bytes = new TextEncoder().encode(chunk);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulled++ >= count) controller.close();
      else controller.enqueue(bytes);
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { stream, seen };
}

const errors = {
  tooLarge: () => new Error("too large"),
  notUtf8: (cause: unknown) => new Error("not UTF-8", { cause }),
};

describe("readBytes", () => {
  it("reads a body within the limit whole", async () => {
    const { stream } = chunks("abcd", 3);
    const { bytes, complete } = await readBytes(stream, 12);
    expect(new TextDecoder().decode(bytes)).toBe("abcdabcdabcd");
    expect(complete).toBe(true);
  });

  it("stops an endless body at the first chunk over the limit, cancels it and keeps the first bytes", async () => {
    const { stream, seen } = chunks("0123456789");
    const { bytes, complete } = await readBytes(stream, 25);
    expect(complete).toBe(false);
    expect(new TextDecoder().decode(bytes)).toBe("0123456789012345678901234");
    expect(seen.cancelled).toBe(true);
    // The stream may pull ahead by its high-water mark of one chunk, no more.
    expect(seen.pulled).toBeLessThanOrEqual(4);
  });

  it("reads nothing from no body", async () => {
    expect(await readBytes(null, 10)).toEqual({ bytes: new Uint8Array(), complete: true });
  });
});

describe("readText", () => {
  it("decodes UTF-8 and drops a byte order mark", async () => {
    const response = new Response('\ufeff{"name":"Zürich"}');
    expect(await readText(response, { limit: 100, ...errors })).toBe('{"name":"Zürich"}');
  });

  it("refuses a declared Content-Length over the limit before reading", async () => {
    const { stream, seen } = chunks("x", 1);
    const source = { body: stream, headers: new Headers({ "content-length": "101" }) };
    await expect(readText(source, { limit: 100, ...errors })).rejects.toThrow("too large");
    expect(seen.pulled).toBe(0);
    expect(seen.cancelled).toBe(true);
  });

  it("refuses a body that grows over the limit without declaring it", async () => {
    const { stream, seen } = chunks("x".repeat(64));
    await expect(readText(stream, { limit: 100, ...errors })).rejects.toThrow("too large");
    expect(seen.cancelled).toBe(true);
  });

  it("refuses bytes that are not UTF-8, keeping the decoder's error", async () => {
    const error = await readText(new Response(new Uint8Array([0x7b, 0xff, 0x7d])), { limit: 100, ...errors }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("not UTF-8");
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });

  it("passes the stream's own failure through", async () => {
    const stream = new ReadableStream<Uint8Array>({ pull: (controller) => controller.error(new Error("socket hang up")) });
    await expect(readText(stream, { limit: 100, ...errors })).rejects.toThrow("socket hang up");
  });
});

describe("readJsonBody reads through the shared reader", () => {
  const post = (body: string | Uint8Array | undefined, headers: Record<string, string> = {}) =>
    new HttpRequest({
      method: "POST",
      url: "https://mfg.example.net/api/inventory",
      headers,
      ...(body === undefined ? {} : { body: typeof body === "string" ? { string: body } : { bytes: body } }),
    });
  const rejection = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.unreachable("expected a rejection"),
      (e: unknown) => e as Error,
    );

  it("parses a body within the limit", async () => {
    expect(await readJsonBody(post('{"tenant":"contoso.onmicrosoft.com"}'), 100)).toEqual({ tenant: "contoso.onmicrosoft.com" });
  });

  it("answers 413 for a declared length over the limit", async () => {
    const error = await rejection(readJsonBody(post("{}", { "content-length": "5000" }), 100));
    expect(error).toBeInstanceOf(HttpProblem);
    expect((error as HttpProblem).status).toBe(413);
    expect(error.message).toBe("request body: larger than the limit of 100 bytes");
  });

  it("answers 413 for a body over the limit that declares no length", async () => {
    const error = await rejection(readJsonBody(post(`[${"1,".repeat(100)}1]`), 100));
    expect((error as HttpProblem).status).toBe(413);
    expect(error.message).toBe("request body: larger than the limit of 100 bytes");
  });

  it("refuses a body that is not UTF-8", async () => {
    const error = await rejection(readJsonBody(post(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])), 100));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      "request body: is not valid UTF-8; expected UTF-8 (with or without a byte order mark) or UTF-16 with a byte order mark",
    );
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it("refuses an empty body unless it may be empty", async () => {
    expect((await rejection(readJsonBody(post(undefined), 100))).message).toBe("request body: is empty: expected JSON");
    expect((await rejection(readJsonBody(post("  \r\n"), 100))).message).toBe("request body: is empty: expected JSON");
    expect(await readJsonBody(post(undefined), 100, { allowEmpty: true })).toBeUndefined();
  });
});
