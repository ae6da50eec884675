import { InputError } from "../errors.js";

/**
 * Key material, never a certificate: PEM (and PGP) private key blocks, with
 * any spacing, also base64-encoded; and the properties exports put keys and
 * PKCS#12 blobs under. A property of a key-bearing name is refused with any
 * value but null, "" or a boolean (`HasPrivateKey` is a fact about the
 * certificate, not the key).
 */
const PRIVATE_KEY_PEM = /-----\s*BEGIN\s+(?:[A-Z0-9]+\s+)*PRIVATE\s+KEY(?:\s+BLOCK)?\s*-----/;
/** "-----BEGIN" in base64 at any of the three alignments: where a PEM block was base64-encoded whole. */
const ENCODED_PEM = /LS0tLS1CRUdJT|0tLS0tQkVHSU4|tLS0tLUJFR0lO/;
const KEY_PROPERTIES = /^(?:(?:Raw)?PrivateKey(?:Data|Blob|Bytes|Pem)?|Pfx(?:Data|Bytes|Blob)?|Pkcs12(?:Data|Blob)?|KeyBlob|Key|FileData)$/i;
/** Deep enough for `-Depth 6` and its wrappers; deeper nesting is refused, as it is not searched. */
const MAX_DEPTH = 16;

/** Whether text holds a private key block, as it is or base64-encoded. */
export function holdsPrivateKey(text: string): boolean {
  if (PRIVATE_KEY_PEM.test(text)) return true;
  const encoded = ENCODED_PEM.exec(text);
  if (!encoded) return false;
  // Decoded from a multiple of four characters before the match, so that the base64 is read in step.
  const from = Math.max(0, encoded.index - (encoded.index % 4));
  return PRIVATE_KEY_PEM.test(Buffer.from(text.slice(from).replace(/[^A-Za-z0-9+/]/g, ""), "base64").toString("latin1"));
}

/** Whether a property of this name and value carries a key. */
export function isKeyProperty(name: string, value: unknown): boolean {
  return KEY_PROPERTIES.test(name) && value !== null && value !== undefined && value !== "" && typeof value !== "boolean";
}

/**
 * Refuses a document that carries a private key: key blocks anywhere, or a
 * key-bearing property with a value.
 *
 * @throws InputError naming the source and where the key is.
 */
export function refusePrivateKeys(data: unknown, source: string): void {
  const visit = (value: unknown, path: string, depth: number): void => {
    if (typeof value === "string") {
      if (holdsPrivateKey(value)) throw privateKeyError(source, path);
      return;
    }
    if (typeof value !== "object" || value === null) return;
    // Loose objects pass unknown properties through unread: what is not searched must not be let through.
    if (depth > MAX_DEPTH) throw new InputError(`is nested more than ${MAX_DEPTH} levels deep, too deep to check for private keys`, { source, path });
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) visit(item, `${path}[${i}]`, depth + 1);
      return;
    }
    for (const [key, item] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (isKeyProperty(key, item) || holdsPrivateKey(key)) throw privateKeyError(source, at);
      visit(item, at, depth + 1);
    }
  };
  visit(data, "", 0);
}

export function privateKeyError(source: string, path: string | undefined): InputError {
  return new InputError(
    "carries a private key; a state document must never hold one: export only the public certificate (RawData), as the collector does",
    { source, path: path || undefined },
  );
}
