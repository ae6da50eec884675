/**
 * Certificates as `Get-ExchangeCertificate` reports them, read from their DER
 * (RawData) when it is there, and their expiry. Pure functions, no I/O.
 */
import { X509Certificate } from "node:crypto";
import { InputError, type InputLocation } from "../errors.js";
import { cutShortError, cutShortText } from "../serialised/cut-short.js";
import { readDate } from "../serialised/dates.js";
import { ALLOWED_SERVICES } from "../serialised/enums.js";
import { listItems } from "../serialised/values.js";
import { describeValue, hasUnsafeCharacters, printable, UNSAFE_CHARACTERS } from "../validation.js";
import { HOST_NAME, hostKey } from "./host-names.js";
import { commonNames, exchangeName } from "./x500-name.js";

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
  /**
   * Exchange services the certificate is enabled for, in AllowedServices
   * order: IMAP, POP, UM, IIS, SMTP, Federation, UMCallRouter. Undefined when
   * the entry does not say, which is not "none".
   */
  services: string[] | undefined;
  /** Read from RawData (the DER) rather than the text fields. */
  fromRawData: boolean;
}

const SERVICES = ALLOWED_SERVICES.members.filter(([, flag]) => flag !== 0);
const ALL_SERVICE_FLAGS = SERVICES.reduce((all, [, flag]) => all | flag, 0);
const SERVICE_NAMES = SERVICES.map(([n]) => n).join(", ");
const SERVICES_EXPECTED = `expected "IMAP, POP, IIS, SMTP", an array of service names or the AllowedServices number (${SERVICE_NAMES}, None)`;

/** The services, or undefined when the entry does not say (a certificate from a remote session may carry only RawData). */
function readServices(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  let flags = 0;
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff || (value & ~ALL_SERVICE_FLAGS) !== 0)
      throw new InputError(`${value} is not an AllowedServices value: ${SERVICES_EXPECTED}`);
    flags = value;
  } else {
    const words = typeof value === "string" ? value.split(",") : Array.isArray(value) ? value : undefined;
    if (words === undefined) throw new InputError(`is ${describeValue(value)}: ${SERVICES_EXPECTED}`);
    for (const word of words) {
      if (typeof word !== "string") throw new InputError(`has ${describeValue(word)} among the services: ${SERVICES_EXPECTED}`);
      const name = word.trim();
      if (name === "" || name.toLowerCase() === "none") continue;
      const known = SERVICES.find(([n]) => n.toLowerCase() === name.toLowerCase());
      if (!known) throw new InputError(`${printable(JSON.stringify(name))} is not an Exchange service: ${SERVICES_EXPECTED}`);
      flags |= known[1];
    }
  }
  return SERVICES.filter(([, flag]) => flags & flag).map(([name]) => name);
}

function readThumbprint(value: unknown): string {
  const hex = typeof value === "string" ? value.replace(/[\s:]/g, "").toUpperCase() : undefined;
  if (hex === undefined || !/^[0-9A-F]{40}$/.test(hex)) {
    const shown = typeof value === "string" ? printable(JSON.stringify(value.slice(0, 60))) : describeValue(value);
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
    throw new InputError(`is ${describeValue(value)}: expected an X.500 name such as "CN=mail.contoso.com, O=Contoso, C=US"`);
  if (hasUnsafeCharacters(value)) throw new InputError(`must not contain ${UNSAFE_CHARACTERS}`);
  return value.trim();
}

const DOMAINS_EXPECTED = 'expected domain names, or objects with "Address" or "Domain" (SmtpDomainWithSubdomains)';

/**
 * CertificateDomains items: strings, or SmtpDomainWithSubdomains objects. Their
 * `Address` is the full text (`*.contoso.com`); `Domain` drops the `*.`, which
 * `IncludeSubDomains` then says (Microsoft.Exchange.Data.SmtpDomainWithSubdomains).
 */
function readDomains(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  // A lone string or object is one domain, as ConvertTo-Json writes a one-item list; anything else is no list.
  const items = typeof value === "string" || typeof value === "object" ? listItems(value) : undefined;
  if (items === undefined) throw new InputError(`is ${describeValue(value)}: ${DOMAINS_EXPECTED}`);
  return items.map((item, i) => {
    if (typeof item === "string") return item;
    if (typeof item === "object" && item !== null) {
      const o = item as Record<string, unknown>;
      if (typeof o.Address === "string") return o.Address;
      if (typeof o.Domain === "string") return o.IncludeSubDomains === true && o.Domain !== "*" ? `*.${o.Domain}` : o.Domain;
    }
    throw new InputError(`[${i}] is ${describeValue(item)}: ${DOMAINS_EXPECTED}`);
  });
}

const RAW_EXPECTED = "expected the certificate's DER as base64 or as an array of bytes";

function readRawData(value: unknown): X509Certificate {
  let der: Buffer;
  // Beyond ConvertTo-Json's depth a byte[] is its numbers joined by spaces.
  const joined = typeof value === "string" && /^\s*\d{1,3}(?:\s+\d{1,3})+\s*$/.test(value) ? value.trim().split(/\s+/).map(Number) : undefined;
  const bytes = joined ?? (typeof value === "object" && value !== null ? listItems(value) : undefined);
  if (joined === undefined && typeof value === "string" && /^[A-Za-z0-9+/\s]+={0,2}\s*$/.test(value)) der = Buffer.from(value, "base64");
  else if (bytes?.every((b) => Number.isInteger(b) && (b as number) >= 0 && (b as number) <= 255)) der = Buffer.from(bytes as number[]);
  else throw new InputError(`is ${describeValue(value)}: ${RAW_EXPECTED}`);
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
    const cut = cutShortText(entry);
    if (cut) throw cutShortError(cut);
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw new InputError(`is ${describeValue(entry)}: expected a Get-ExchangeCertificate object`);
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

// ---- Expiry ----------------------------------------------------------------

const DAY_MS = 86_400_000;

/** Whole days from `now` until the certificate expires: 0 on its last day, negative once it has expired. */
export function daysLeft(cert: Pick<ExchangeCertificate, "notAfter">, now: Date): number {
  return Math.floor((cert.notAfter.getTime() - now.getTime()) / DAY_MS);
}
