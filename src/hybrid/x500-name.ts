/**
 * Exchange's names for certificates: X.500 name texts as .NET writes them
 * (most specific first). The `<I>issuer<S>subject` a connector or the hybrid
 * configuration carries is certificate-name.ts's. Pure functions.
 */
import { InputError } from "../errors.js";
import { printable } from "../validation.js";

// ---- X.500 names -----------------------------------------------------------

/** One attribute of a name, its key already in Exchange's spelling. */
interface NameAttribute {
  key: string;
  value: string;
}
/** A relative distinguished name: usually one attribute, several for `OU=x + CN=y`. */
type Rdn = NameAttribute[];

/**
 * The keys Windows writes (CertNameToStr, which .NET Framework's
 * X500DistinguishedName.Name and so Exchange use), by OID. The table is the one
 * [MS-OSCO] 2.2 documents for Windows' conversion; any other OID is written
 * `OID.<dotted>`, as Windows shows EV certificates (`OID.2.5.4.15=Private Organization`).
 */
const WINDOWS_KEYS: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.7": "L",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "1.2.840.113549.1.9.1": "E",
  "2.5.4.6": "C",
  "2.5.4.8": "S",
  "2.5.4.9": "STREET",
  "2.5.4.12": "T",
  "2.5.4.42": "G",
  "2.5.4.43": "I",
  "2.5.4.4": "SN",
  "2.5.4.5": "SERIALNUMBER",
  "0.9.2342.19200300.100.1.25": "DC",
  "2.5.4.13": "Description",
  "2.5.4.17": "PostalCode",
  "2.5.4.18": "POBox",
  "2.5.4.20": "Phone",
};

/**
 * Key spellings, upper-cased, to their OID: Windows' keys and aliases
 * (CertStrToName accepts `ST`, `Email`), and the OpenSSL short names node's
 * X509Certificate prints (`ST`, `emailAddress`, `GN`, `jurisdictionC`…).
 */
const KEY_OIDS: Record<string, string> = {
  CN: "2.5.4.3",
  L: "2.5.4.7",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  E: "1.2.840.113549.1.9.1",
  EMAIL: "1.2.840.113549.1.9.1",
  EMAILADDRESS: "1.2.840.113549.1.9.1",
  C: "2.5.4.6",
  S: "2.5.4.8",
  ST: "2.5.4.8",
  STREET: "2.5.4.9",
  T: "2.5.4.12",
  TITLE: "2.5.4.12",
  G: "2.5.4.42",
  GN: "2.5.4.42",
  GIVENNAME: "2.5.4.42",
  I: "2.5.4.43",
  INITIALS: "2.5.4.43",
  SN: "2.5.4.4",
  SURNAME: "2.5.4.4",
  SERIALNUMBER: "2.5.4.5",
  DC: "0.9.2342.19200300.100.1.25",
  DESCRIPTION: "2.5.4.13",
  POSTALCODE: "2.5.4.17",
  POBOX: "2.5.4.18",
  POSTOFFICEBOX: "2.5.4.18",
  PHONE: "2.5.4.20",
  TELEPHONENUMBER: "2.5.4.20",
  BUSINESSCATEGORY: "2.5.4.15",
  NAME: "2.5.4.41",
  GENERATIONQUALIFIER: "2.5.4.44",
  DNQUALIFIER: "2.5.4.46",
  PSEUDONYM: "2.5.4.65",
  ORGANIZATIONIDENTIFIER: "2.5.4.97",
  UID: "0.9.2342.19200300.100.1.1",
  JURISDICTIONL: "1.3.6.1.4.1.311.60.2.1.1",
  JURISDICTIONST: "1.3.6.1.4.1.311.60.2.1.2",
  JURISDICTIONC: "1.3.6.1.4.1.311.60.2.1.3",
};

const DOTTED_OID = /^(?:OID\.)?(\d+(?:\.\d+)+)$/i;

/** A key as Windows writes it: `ST` → `S`, `emailAddress` → `E`, `businessCategory` → `OID.2.5.4.15`; unknown words upper-cased. */
function exchangeKey(key: string): string {
  const oid = DOTTED_OID.exec(key)?.[1] ?? KEY_OIDS[key.toUpperCase()];
  if (oid === undefined) return key.toUpperCase();
  return WINDOWS_KEYS[oid] ?? `OID.${oid}`;
}

/**
 * A value quoted as .NET's X500NameEncoder (which reproduces Windows) does:
 * in double quotes, with `"` doubled, when it is empty, starts or ends with
 * whitespace (space, tab, CR, LF, VT, FF), or holds one of `, + = " \n < > # ;`.
 */
function quoteValue(value: string): string {
  const needsQuotes = value === "" || /^[ \t-\r]|[ \t-\r]$|[,+="\n<>#;]/.test(value);
  return needsQuotes ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Exchange's text: RDNs joined by `, `, attributes of one RDN by ` + ` (X500DistinguishedNameFlags.None). */
function formatName(rdns: readonly Rdn[]): string {
  return rdns.map((rdn) => rdn.map((a) => `${a.key}=${quoteValue(a.value)}`).join(" + ")).join(", ");
}

/**
 * Reads node's name text: one RDN a line, attributes of a multi-valued RDN
 * joined by ` + `, values escaped as RFC 2253 (`\,` `\+` `\"` `\\` `\;` `\<`
 * `\>`, a leading `\#` or `\ `, a trailing `\ `) and control bytes as `\XX`.
 */
function parseNodeName(text: string): Rdn[] {
  if (text === "") return [];
  return text.split("\n").map((line) => {
    const rdn: Rdn = [];
    let p = 0;
    while (p <= line.length) {
      const equals = line.indexOf("=", p);
      if (equals < 0) throw new InputError(`${printable(JSON.stringify(line))} is not KEY=value`);
      const key = line.slice(p, equals);
      const bytes: number[] = [];
      for (p = equals + 1; p < line.length && !line.startsWith(" + ", p); p++) {
        const hex = line.slice(p + 1, p + 3);
        if (line[p] === "\\" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
          bytes.push(Number.parseInt(hex, 16));
          p += 2;
        } else {
          if (line[p] === "\\" && p + 1 < line.length) p++;
          const character = String.fromCodePoint(line.codePointAt(p)!);
          bytes.push(...Buffer.from(character, "utf8"));
          p += character.length - 1;
        }
      }
      rdn.push({ key: exchangeKey(key), value: Buffer.from(bytes).toString("utf8") });
      p += 3; // past " + ", or past the end
    }
    return rdn;
  });
}

/**
 * node's `X509Certificate.subject`/`.issuer` text (one `KEY=value` a line, in
 * DER order, country first) as Exchange writes the same name: most specific
 * first, `, `-separated, Windows' keys (`S`, `E`…) and Windows' quoting.
 *
 * Followed: .NET's X500NameEncoder (dotnet/runtime; Reversed order, `", "` and
 * `" + "` separators, the quoting rule in quoteValue) and [MS-OSCO] 2.2 for
 * the keys.
 *
 * @example exchangeName("C=US\nST=WA\nO=Contoso, Ltd\nCN=mail.contoso.com") // 'CN=mail.contoso.com, O="Contoso, Ltd", S=WA, C=US'
 */
export function exchangeName(x509NameText: string): string {
  return formatName(parseNodeName(x509NameText).reverse());
}

/** Reads an Exchange-style name: `,` or `;` between RDNs, `+` inside one, `"…"` values with `""` for a quote. */
function parseExchangeName(text: string): Rdn[] | undefined {
  const rdns: Rdn[] = [];
  let rdn: Rdn = [];
  let p = 0;
  const skipSpace = () => {
    while (p < text.length && /\s/.test(text[p]!)) p++;
  };
  while (true) {
    skipSpace();
    if (p >= text.length) break;
    const keyMatch = /^[A-Za-z0-9.-]+/.exec(text.slice(p));
    if (!keyMatch) return undefined;
    p += keyMatch[0].length;
    skipSpace();
    if (text[p] !== "=") return undefined;
    p++;
    skipSpace();
    let value = "";
    if (text[p] === '"') {
      p++;
      while (true) {
        if (p >= text.length) return undefined;
        if (text[p] === '"' && text[p + 1] === '"') {
          value += '"';
          p += 2;
        } else if (text[p] === '"') {
          p++;
          break;
        } else value += text[p++];
      }
      skipSpace();
    } else {
      // Admins paste OpenSSL's forms too: a backslash before a special character escapes it.
      while (p < text.length && !",;+".includes(text[p]!)) {
        if (text[p] === "\\" && p + 1 < text.length && ',;+"\\<>=# '.includes(text[p + 1]!)) p++;
        value += text[p++];
      }
      value = value.trim();
    }
    rdn.push({ key: exchangeKey(keyMatch[0]), value });
    if (p >= text.length) break;
    const separator = text[p++];
    if (separator === "+") continue;
    if (separator !== "," && separator !== ";") return undefined;
    rdns.push(rdn);
    rdn = [];
  }
  if (rdn.length > 0) rdns.push(rdn);
  return rdns;
}

/**
 * A canonical text of an X.500 name written Exchange's way, for comparing two
 * names that admins, exports and Exchange write differently: keys in Windows'
 * spelling whatever their case or alias (`st`/`ST`/`S`, `E`/`EMAIL`/`EMAILADDRESS`,
 * `OID.2.5.4.3`/`CN`), whitespace around `=`, `,`, `;` and `+` dropped, `;` read
 * as `,`, the attributes of a multi-valued RDN sorted, values re-quoted as
 * Windows quotes them. Values keep their case and the RDNs their order: Exchange
 * finds a certificate by these strings, so a different value or order is
 * treated as a different name. Text that does not read as a name is returned
 * trimmed with its whitespace collapsed, so it still compares as itself.
 *
 * @example normaliseName("cn = mail.contoso.com; o=Contoso;st=WA") // "CN=mail.contoso.com, O=Contoso, S=WA"
 */
export function normaliseName(text: string): string {
  const known = normalised.get(text);
  if (known !== undefined) return known;
  const rdns = parseExchangeName(text);
  const sortKey = (a: NameAttribute) => `${a.key}=${a.value}`;
  const result =
    rdns === undefined
      ? text.trim().replace(/\s+/g, " ")
      : formatName(rdns.map((rdn) => [...rdn].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0))));
  // Names repeat across every reference and certificate of a check: each is parsed once.
  if (normalised.size >= NORMALISED_KEPT) normalised.clear();
  normalised.set(text, result);
  return result;
}

const NORMALISED_KEPT = 10_000;
const normalised = new Map<string, string>();

/** Whether two X.500 texts name the same thing, by normaliseName. */
export function sameName(a: string, b: string): boolean {
  return normaliseName(a) === normaliseName(b);
}

/** The values of the CN attributes of an Exchange-style name. */
export function commonNames(exchangeText: string): string[] {
  return (parseExchangeName(exchangeText) ?? []).flat().flatMap((a) => (a.key === "CN" ? [a.value] : []));
}

// ---- TlsCertificateName ----------------------------------------------------
