/**
 * The one size-capped body reader, for the answers of outside services and
 * for the bodies posted to the handlers alike: a body is read only up to its
 * limit, so a huge or endless one costs no more memory than the limit.
 */

/** A stream, or what carries one: a fetch Response or Request, an Azure Functions HttpRequest. */
export type BodySource =
  | ReadableStream<Uint8Array>
  | { readonly body: ReadableStream<Uint8Array> | null; readonly headers?: Headers }
  | null
  | undefined;

/**
 * Reads at most `limit` bytes. `complete` is false when the body was longer:
 * reading stopped at the first chunk over the limit, the stream was cancelled
 * and `bytes` holds the first `limit` bytes.
 */
export async function readBytes(source: BodySource, limit: number): Promise<{ bytes: Uint8Array; complete: boolean }> {
  const stream = streamOf(source);
  if (!stream) return { bytes: new Uint8Array(), complete: true };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(chunks, size), complete: true };
    chunks.push(value);
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return { bytes: Buffer.concat(chunks, size).subarray(0, limit), complete: false };
    }
  }
}

export type ReadTextOptions = {
  limit: number;
  /** The error for a body over the limit, declared or read. */
  tooLarge: () => Error;
} & (
  | {
      /** The error for bytes that are not UTF-8. */
      notUtf8: (cause: unknown) => Error;
    }
  | {
      /** Decodes the bytes instead of strict UTF-8 (bodies that may come from Windows tools). */
      decode: (bytes: Uint8Array) => string;
    }
);

/**
 * A whole body as strictly decoded UTF-8 text (a byte order mark is dropped).
 * A declared `Content-Length` over the limit is refused before reading.
 * Errors of the stream itself (a timeout, a connection cut short) pass through.
 *
 * @example
 * const text = await readText(request, {
 *   limit: 64 * 1024,
 *   tooLarge: () => new HttpProblem(413, "request body: larger than the limit of 65536 bytes"),
 *   notUtf8: (cause) => new InputError("is not valid UTF-8", { source: "request body" }, { cause }),
 * });
 */
export async function readText(source: BodySource, options: ReadTextOptions): Promise<string> {
  const declared = Number(headersOf(source)?.get("content-length") ?? Number.NaN);
  if (declared > options.limit) {
    await streamOf(source)
      ?.cancel()
      .catch(() => undefined);
    throw options.tooLarge();
  }
  const { bytes, complete } = await readBytes(source, options.limit);
  if (!complete) throw options.tooLarge();
  if ("decode" in options) return options.decode(bytes);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    throw options.notUtf8(error);
  }
}

function streamOf(source: BodySource): ReadableStream<Uint8Array> | null {
  if (!source) return null;
  return source instanceof ReadableStream ? source : source.body;
}

function headersOf(source: BodySource): Headers | undefined {
  return source && !(source instanceof ReadableStream) ? source.headers : undefined;
}
