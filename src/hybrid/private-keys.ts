import { InputError } from "../errors.js";

// Key material, never a certificate: PEM private keys (any kind) and PKCS#12 blobs under the names exports give them.
const PRIVATE_KEY_PEM = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;
const KEY_PROPERTIES = /^(?:PrivateKey|Pfx|PfxData|PfxBytes|Pkcs12|KeyBlob|PrivateKeyBlob|FileData)$/i;
/** Deep enough for `-Depth 6` and its wrappers; deeper nesting is refused, as it is not searched. */
const MAX_DEPTH = 16;

/**
 * Refuses a document that carries a private key: PEM key blocks anywhere,
 * or a key-bearing property (`PrivateKey`, a PFX) with a value. Booleans
 * such as `HasPrivateKey` are facts about the certificate, not the key.
 */
export function refusePrivateKeys(data: unknown, source: string): void {
  const visit = (value: unknown, path: string, depth: number): void => {
    if (typeof value === "string") {
      if (PRIVATE_KEY_PEM.test(value)) throw keyError(source, path);
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
      if (KEY_PROPERTIES.test(key) && item !== null && item !== "" && typeof item !== "boolean") throw keyError(source, at);
      visit(item, at, depth + 1);
    }
  };
  visit(data, "", 0);
}

function keyError(source: string, path: string): InputError {
  return new InputError(
    "carries a private key; a state document must never hold one: export only the public certificate (RawData), as the collector does",
    { source, path: path || undefined },
  );
}
