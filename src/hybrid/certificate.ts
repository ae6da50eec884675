/**
 * Certificates as the product sees them: Exchange's X.500 name texts, the
 * `<I>issuer<S>subject` names connectors carry, `Get-ExchangeCertificate`
 * entries, and host-name matching. Pure functions, no I/O.
 */
import { X509Certificate } from "node:crypto";
import { InputError, type InputLocation } from "../errors.js";
import { hasUnsafeCharacters, printable, UNSAFE_CHARACTERS } from "../validation.js";

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
  const rdns = parseExchangeName(text);
  if (rdns === undefined) return text.trim().replace(/\s+/g, " ");
  const sortKey = (a: NameAttribute) => `${a.key}=${a.value}`;
  return formatName(rdns.map((rdn) => [...rdn].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0))));
}

/** Whether two X.500 texts name the same thing, by normaliseName. */
export function sameName(a: string, b: string): boolean {
  return normaliseName(a) === normaliseName(b);
}

/** The values of the CN attributes of an Exchange-style name. */
function commonNames(exchangeText: string): string[] {
  return (parseExchangeName(exchangeText) ?? []).flat().flatMap((a) => (a.key === "CN" ? [a.value] : []));
}

// ---- TlsCertificateName ----------------------------------------------------

/** A certificate as a connector names it: by issuer and subject, in Exchange's text. */
export interface TlsCertificateName {
  issuer: string;
  subject: string;
}

const TLS_NAME_EXPECTED = 'expected "<I>{issuer}<S>{subject}" or an object with "CertificateIssuer" and "CertificateSubject"';

function checkedNamePart(value: unknown, what: string): string {
  if (typeof value !== "string" || value.trim() === "") throw new InputError(`has no ${what}: ${TLS_NAME_EXPECTED}`);
  if (hasUnsafeCharacters(value)) throw new InputError(`the ${what} must not contain ${UNSAFE_CHARACTERS}`);
  return value.trim();
}

/**
 * A connector's TlsCertificateName: the text `<I>{issuer}<S>{subject}`, or the
 * SmtpX509Identifier object a remote session serialises
 * (`CertificateIssuer`, `CertificateSubject`, `SubjectCommonName`).
 *
 * @example
 * parseTlsCertificateName("<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com")
 * // { issuer: "CN=R3, O=Let's Encrypt, C=US", subject: "CN=mail.contoso.com" }
 */
export function parseTlsCertificateName(value: unknown, location: InputLocation = {}): TlsCertificateName {
  try {
    if (typeof value === "string") {
      const match = /^\s*<I>([\s\S]*?)<S>([\s\S]*)$/i.exec(value);
      if (!match) throw new InputError(`${printable(JSON.stringify(value.slice(0, 80)))} is not a certificate name: ${TLS_NAME_EXPECTED}`);
      return { issuer: checkedNamePart(match[1], "issuer"), subject: checkedNamePart(match[2], "subject") };
    }
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const o = value as Record<string, unknown>;
      return {
        issuer: checkedNamePart(o.CertificateIssuer, "CertificateIssuer"),
        subject: checkedNamePart(o.CertificateSubject, "CertificateSubject"),
      };
    }
    throw new InputError(`is ${describe(value)}: ${TLS_NAME_EXPECTED}`);
  } catch (error) {
    throw error instanceof InputError ? error.at(location) : error;
  }
}

/**
 * The TlsCertificateName text for a certificate, exactly as Exchange writes it
 * and `Set-ReceiveConnector -TlsCertificateName` takes it: `<I>` issuer `<S>` subject, no spaces.
 *
 * @example
 * formatTlsCertificateName({ issuer: "CN=R3, O=Let's Encrypt, C=US", subject: "CN=mail.contoso.com" })
 * // "<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com"
 */
export function formatTlsCertificateName(name: TlsCertificateName): string {
  const issuer = checkedNamePart(name.issuer, "issuer");
  const subject = checkedNamePart(name.subject, "subject");
  if (/<[IS]>/i.test(issuer + subject)) throw new InputError("an issuer or subject containing <I> or <S> cannot be written as a TlsCertificateName");
  return `<I>${issuer}<S>${subject}`;
}

// ---- Get-ExchangeCertificate -----------------------------------------------

/** A certificate on an Exchange server, read from a `Get-ExchangeCertificate | ConvertTo-Json` entry. */
export interface ExchangeCertificate {
  /** SHA-1 of the DER, upper-case hex without separators. */
  thumbprint: string;
  /** Exchange's form, most specific first: `CN=mail.contoso.com, O=Contoso, C=US`. */
  subject: string;
  issuer: string;
  /** Absent only when a text-only entry left NotBefore out. */
  notBefore: Date | undefined;
  notAfter: Date;
  /** DNS names: the subjectAltName DNS names (or CertificateDomains) and the subject's CN when it is a host name; lower-case, no trailing dot. */
  names: string[];
  /** Exchange services the certificate is enabled for, in AllowedServices order: IMAP, POP, UM, IIS, SMTP, Federation, UMCallRouter. */
  services: string[];
  /** Read from RawData (the DER) rather than the text fields. */
  fromRawData: boolean;
}

/**
 * Microsoft.Exchange.Management.SystemConfigurationTasks.AllowedServices, a
 * flags enum. Members from learn.microsoft.com (ff319670, exchg.150); values
 * as decompilations of Microsoft.Exchange.Management.dll on GitHub show them.
 */
const SERVICES: readonly (readonly [name: string, flag: number])[] = [
  ["IMAP", 1],
  ["POP", 2],
  ["UM", 4],
  ["IIS", 8],
  ["SMTP", 16],
  ["Federation", 32],
  ["UMCallRouter", 64],
];
const ALL_SERVICE_FLAGS = SERVICES.reduce((all, [, flag]) => all | flag, 0);
const SERVICE_NAMES = SERVICES.map(([n]) => n).join(", ");
const SERVICES_EXPECTED = `expected "IMAP, POP, IIS, SMTP", an array of service names or the AllowedServices number (${SERVICE_NAMES}, None)`;

function readServices(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  let flags = 0;
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0 || (value & ~ALL_SERVICE_FLAGS) !== 0)
      throw new InputError(`${value} is not an AllowedServices value: ${SERVICES_EXPECTED}`);
    flags = value;
  } else {
    const words = typeof value === "string" ? value.split(",") : Array.isArray(value) ? value : undefined;
    if (words === undefined) throw new InputError(`is ${describe(value)}: ${SERVICES_EXPECTED}`);
    for (const word of words) {
      if (typeof word !== "string") throw new InputError(`has ${describe(word)} among the services: ${SERVICES_EXPECTED}`);
      const name = word.trim();
      if (name === "" || name.toLowerCase() === "none") continue;
      const known = SERVICES.find(([n]) => n.toLowerCase() === name.toLowerCase());
      if (!known) throw new InputError(`${printable(JSON.stringify(name))} is not an Exchange service: ${SERVICES_EXPECTED}`);
      flags |= known[1];
    }
  }
  return SERVICES.filter(([, flag]) => flags & flag).map(([name]) => name);
}

const DATE_EXPECTED = 'expected an ISO 8601 date, "/Date(milliseconds)/" or an object with "value" or "DateTime"';
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * A DateTime as ConvertTo-Json writes one:
 * - PowerShell 7 writes ISO 8601, with `Z` or an offset, or none for a DateTime
 *   of unspecified kind, read here as UTC (PowerShell/PowerShell#11126).
 * - Windows PowerShell 5.1 writes `"\/Date(1574202819000)\/"`, milliseconds since
 *   1970 in UTC (same pull request); an offset after them does not move them.
 * - Windows PowerShell 5.1 writes a DateTime wrapped in a PSObject as
 *   `{"value":"\/Date(…)\/","DisplayHint":2,"DateTime":"Sunday 14 July 2024 02:13:02"}`
 *   (invictus-ir/Microsoft-Extractor-Suite#76). `value` is used; `DateTime` is
 *   local display text in the server's culture, so it is read only when it is ISO 8601.
 */
function readDate(value: unknown): Date {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (o.value !== undefined && o.value !== null) return readDate(o.value);
    if (typeof o.DateTime === "string" && ISO_DATE.test(o.DateTime.trim())) return readDate(o.DateTime);
    throw new InputError(`is an object without a readable "value" or ISO 8601 "DateTime": ${DATE_EXPECTED}`);
  }
  if (typeof value !== "string") throw new InputError(`is ${describe(value)}: ${DATE_EXPECTED}`);
  const text = value.trim();
  const msDate = /^\\?\/Date\((-?\d+)(?:[+-]\d{4})?\)\\?\/$/.exec(text);
  if (msDate) return new Date(Number(msDate[1]));
  const iso = ISO_DATE.exec(text);
  if (iso) {
    const [year, month, day, hours, minutes, seconds] = iso.slice(1, 7).map((part) => Number(part ?? 0));
    const millis = Number((iso[7] ?? "").padEnd(3, "0").slice(0, 3));
    const zone = iso[8] ?? "Z";
    const offset = zone.toUpperCase() === "Z" ? 0 : (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)));
    const local = new Date(Date.UTC(year!, month! - 1, day!, hours, minutes, seconds, millis));
    // Date.UTC rolls 31 April over to 1 May: a date or time that does not exist is refused.
    const exists =
      local.getUTCMonth() === month! - 1 && local.getUTCDate() === day && local.getUTCHours() === hours && local.getUTCMinutes() === minutes;
    if (exists && seconds! < 60) return new Date(local.getTime() - offset * 60_000);
  }
  throw new InputError(`${printable(JSON.stringify(text.slice(0, 60)))} is not a date: ${DATE_EXPECTED}`);
}

function readThumbprint(value: unknown): string {
  const hex = typeof value === "string" ? value.replace(/[\s:]/g, "").toUpperCase() : undefined;
  if (hex === undefined || !/^[0-9A-F]{40}$/.test(hex)) {
    const shown = typeof value === "string" ? printable(JSON.stringify(value.slice(0, 60))) : describe(value);
    throw new InputError(`${shown} is not a thumbprint: expected 40 hexadecimal digits (SHA-1)`);
  }
  return hex;
}

/** A name read from the DER: it may be empty (a SAN-only certificate), not unsafe. */
function safeName(text: string, what: string): string {
  if (hasUnsafeCharacters(text)) throw new InputError(`has a ${what} with ${UNSAFE_CHARACTERS}: ${printable(JSON.stringify(text))}`);
  return text;
}

function readNameText(value: unknown): string {
  if (typeof value !== "string" || value.trim() === "")
    throw new InputError(`is ${describe(value)}: expected an X.500 name such as "CN=mail.contoso.com, O=Contoso, C=US"`);
  if (hasUnsafeCharacters(value)) throw new InputError(`must not contain ${UNSAFE_CHARACTERS}`);
  return value.trim();
}

/** Items of a multi-valued property: an array, or Windows PowerShell 5.1's `{"value":[…],"Count":n}`. */
function listItems(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value === "object" && value !== null && Array.isArray((value as { value?: unknown }).value))
    return (value as { value: unknown[] }).value;
  return undefined;
}

const DOMAINS_EXPECTED = 'expected domain names, or objects with "Address" or "Domain" (SmtpDomainWithSubdomains)';

/**
 * CertificateDomains items: strings, or SmtpDomainWithSubdomains objects. Their
 * `Address` is the full text (`*.contoso.com`); `Domain` drops the `*.`, which
 * `IncludeSubDomains` then says (Microsoft.Exchange.Data.SmtpDomainWithSubdomains).
 */
function readDomains(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const items = typeof value === "string" ? [value] : listItems(value);
  if (items === undefined) throw new InputError(`is ${describe(value)}: ${DOMAINS_EXPECTED}`);
  return items.map((item, i) => {
    if (typeof item === "string") return item;
    if (typeof item === "object" && item !== null) {
      const o = item as Record<string, unknown>;
      if (typeof o.Address === "string") return o.Address;
      if (typeof o.Domain === "string") return o.IncludeSubDomains === true && o.Domain !== "*" ? `*.${o.Domain}` : o.Domain;
    }
    throw new InputError(`[${i}] is ${describe(item)}: ${DOMAINS_EXPECTED}`);
  });
}

const RAW_EXPECTED = "expected the certificate's DER as base64 or as an array of bytes";

function readRawData(value: unknown): X509Certificate {
  let der: Buffer;
  const bytes = listItems(value);
  if (typeof value === "string" && /^[A-Za-z0-9+/\s]+={0,2}\s*$/.test(value)) der = Buffer.from(value, "base64");
  else if (bytes?.every((b) => Number.isInteger(b) && (b as number) >= 0 && (b as number) <= 255)) der = Buffer.from(bytes as number[]);
  else throw new InputError(`is ${describe(value)}: ${RAW_EXPECTED}`);
  try {
    return new X509Certificate(der);
  } catch (error) {
    throw new InputError(`is not a certificate (${printable((error as Error).message)}): ${RAW_EXPECTED}`, {}, { cause: error });
  }
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** node's validFrom/validTo text, `Jan  1 00:00:00 2030 GMT` (OpenSSL's ASN1_TIME_print). */
function nodeDate(text: string): Date {
  const m = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/.exec(text);
  const month = m ? MONTHS.indexOf(m[1]!) : -1;
  if (!m || month < 0) throw new InputError(`has a validity date node cannot read: ${JSON.stringify(text)}`);
  return new Date(Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])));
}

/**
 * DNS names in node's subjectAltName text: `DNS:a.contoso.com, IP Address:10.0.0.1, DNS:"odd\u002cname"`.
 * Since 17.3.1 (CVE-2021-44532) node quotes a value holding separators or escapes, in JSON syntax.
 */
export function sanDnsNames(subjectAltName: string | undefined): string[] {
  const text = subjectAltName ?? "";
  const names: string[] = [];
  const entry = /([^:,]+):(?:("(?:[^"\\]|\\.)*")|([^,]*))(?:, |$)/y;
  while (entry.lastIndex < text.length) {
    const m = entry.exec(text);
    if (!m) throw new InputError(`has a subjectAltName node cannot read: ${printable(JSON.stringify(text.slice(0, 120)))}`);
    if (m[1] === "DNS") names.push(m[2] === undefined ? m[3]! : (JSON.parse(m[2]) as string));
  }
  return names;
}

const HOST_NAME = /^(?:\*\.)?[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** `Mail.Contoso.com.` → `mail.contoso.com`. */
function hostKey(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, "");
}

/** Listed names (SANs, CertificateDomains) and the CNs that are host names, lower-case, each once. */
function certificateNames(listed: readonly string[], cns: readonly string[]): string[] {
  const names = new Set<string>();
  for (const name of listed) {
    const key = hostKey(name);
    if (key === "") continue;
    if (hasUnsafeCharacters(key)) throw new InputError(`has a name with ${UNSAFE_CHARACTERS}: ${printable(JSON.stringify(key))}`);
    names.add(key);
  }
  // A CN such as "Contoso Root CA" or "Microsoft Exchange Server Auth Certificate" names no host.
  for (const cn of cns) if (HOST_NAME.test(hostKey(cn))) names.add(hostKey(cn));
  return [...names];
}

function field<T>(entry: Record<string, unknown>, name: string, read: (value: unknown) => T): T {
  try {
    return read(entry[name]);
  } catch (error) {
    throw error instanceof InputError ? error.at({ path: name }) : error;
  }
}

/**
 * A `Get-ExchangeCertificate | ConvertTo-Json` entry as the product uses it.
 * With `RawData` the certificate itself is read (subject, issuer, dates,
 * thumbprint, names) and wins over the text fields; without it `Thumbprint`,
 * `Subject`, `Issuer`, `NotAfter` (and `NotBefore`, when present) are required.
 * `Services` comes from the entry either way: the certificate does not carry it.
 *
 * @throws InputError naming the field and what was expected.
 */
export function readCertificate(entry: unknown, location: InputLocation = {}): ExchangeCertificate {
  try {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw new InputError(`is ${describe(entry)}: expected a Get-ExchangeCertificate object`);
    }
    const o = entry as Record<string, unknown>;
    const services = field(o, "Services", readServices);
    if (o.RawData !== undefined && o.RawData !== null) {
      return field(o, "RawData", (raw): ExchangeCertificate => {
        const x509 = readRawData(raw);
        // node gives undefined, whatever its types say, for an empty Name.
        const subject = safeName(exchangeName(x509.subject ?? ""), "subject");
        return {
          thumbprint: x509.fingerprint.replaceAll(":", ""),
          subject,
          issuer: safeName(exchangeName(x509.issuer ?? ""), "issuer"),
          notBefore: nodeDate(x509.validFrom),
          notAfter: nodeDate(x509.validTo),
          names: certificateNames(sanDnsNames(x509.subjectAltName), commonNames(subject)),
          services,
          fromRawData: true,
        };
      });
    }
    const subject = field(o, "Subject", readNameText);
    return {
      thumbprint: field(o, "Thumbprint", readThumbprint),
      subject,
      issuer: field(o, "Issuer", readNameText),
      notBefore: o.NotBefore === undefined || o.NotBefore === null ? undefined : field(o, "NotBefore", readDate),
      notAfter: field(o, "NotAfter", readDate),
      names: field(o, "CertificateDomains", (v) => certificateNames(readDomains(v), commonNames(subject))),
      services,
      fromRawData: false,
    };
  } catch (error) {
    throw error instanceof InputError ? error.at(location) : error;
  }
}

// ---- Host names ------------------------------------------------------------

/**
 * Whether a certificate name (`pattern`) covers a host name, by RFC 6125
 * §6.4.3: case-insensitive, a trailing dot ignored, and `*` only as the whole
 * left-most label, standing for exactly one label. So `*.contoso.com` covers
 * `mail.contoso.com` but neither `contoso.com` nor `a.b.contoso.com`. Partial
 * wildcards (`m*.contoso.com`), a wildcard over a single label (`*.com`) and a
 * `*` in the host name never match; neither does anything that is not a host name.
 *
 * @example nameMatches("*.contoso.com", "Mail.Contoso.com.") // true
 */
export function nameMatches(pattern: string, hostname: string): boolean {
  const p = hostKey(pattern);
  const h = hostKey(hostname);
  if (!HOST_NAME.test(p) || !HOST_NAME.test(h) || h.startsWith("*")) return false;
  if (!p.startsWith("*.")) return p === h;
  const parent = p.slice(2);
  if (!parent.includes(".")) return false;
  const dot = h.indexOf(".");
  return dot > 0 && h.slice(dot + 1) === parent;
}

/** `contoso.com` itself or any name below it. */
function within(name: string, domain: string): boolean {
  return name === domain || name.endsWith(`.${domain}`);
}

/**
 * Whether a certificate answers for a connector's domain (TlsSenderCertificateName
 * on an inbound connector, TlsDomain on a send connector).
 *
 * - A plain domain (`mail.contoso.com`) is answered by a certificate name that
 *   covers it by RFC 6125: `mail.contoso.com` itself or `*.contoso.com`.
 * - A wildcard domain (`*.contoso.com`) means "the domain and all its
 *   subdomains" (New-InboundConnector's documentation; SmtpDomainWithSubdomains.Match
 *   compares by suffix at a label boundary). It is answered by any certificate
 *   name inside it, a wildcard one included: `contoso.com`, `mail.contoso.com`,
 *   `a.b.contoso.com`, `*.contoso.com`, `*.eu.contoso.com` — not `*.com` or `othercontoso.com`.
 *
 * @example certificateMatchesDomain({ names: ["mail.contoso.com"] }, "*.contoso.com") // true
 */
export function certificateMatchesDomain(cert: Pick<ExchangeCertificate, "names">, domain: string): boolean {
  const d = hostKey(domain);
  if (!HOST_NAME.test(d)) return false;
  if (!d.startsWith("*.")) return cert.names.some((name) => nameMatches(name, d));
  const parent = d.slice(2);
  if (!parent.includes(".")) return false;
  return cert.names.some((name) => {
    const n = hostKey(name);
    if (!HOST_NAME.test(n)) return false;
    return within(n.startsWith("*.") ? n.slice(2) : n, parent);
  });
}

// ---- Expiry ----------------------------------------------------------------

const DAY_MS = 86_400_000;

/** Whole days from `now` until the certificate expires: 0 on its last day, negative once it has expired. */
export function daysLeft(cert: Pick<ExchangeCertificate, "notAfter">, now: Date): number {
  return Math.floor((cert.notAfter.getTime() - now.getTime()) / DAY_MS);
}

/** A value described for an error message: its type, or a short quote of a string. */
function describe(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return printable(JSON.stringify(value.slice(0, 60)));
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}
