/**
 * Real X.509 v3 certificates for tests, made with node:crypto alone: a minimal
 * DER writer and a certificate builder, so tests exercise the same parser
 * (X509Certificate) and the same bytes (RawData) the product reads.
 *
 * @example
 * const root = makeCertificate({ subject: [["CN", "Contoso Root"]], isCA: true, notBefore, notAfter });
 * const leaf = makeCertificate({ subject: [["CN", "mail.contoso.com"]], issuer: root, sans: ["mail.contoso.com"], notBefore, notAfter });
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign, X509Certificate } from "node:crypto";

// ---- DER -------------------------------------------------------------------

/** A DER length: short form below 128, else 0x80|n followed by n big-endian bytes. */
function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

export const der = {
  sequence: (...items: Buffer[]) => tlv(0x30, Buffer.concat(items)),
  // DER orders a SET OF by its encodings; the sets built here hold one element or sorted ones.
  set: (...items: Buffer[]) => tlv(0x31, Buffer.concat([...items].sort(Buffer.compare))),
  boolean: (value: boolean) => tlv(0x01, Buffer.from([value ? 0xff : 0x00])),
  null: () => tlv(0x05, Buffer.alloc(0)),
  integer(value: bigint): Buffer {
    if (value < 0n) throw new Error("only non-negative integers are needed here");
    let hex = value.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    let bytes = Buffer.from(hex, "hex");
    // A set high bit would read as negative: DER prefixes one zero byte.
    if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return tlv(0x02, bytes);
  },
  oid(dotted: string): Buffer {
    const arcs = dotted.split(".").map((arc) => BigInt(arc));
    if (arcs.length < 2) throw new Error(`not an OID: ${dotted}`);
    const out: number[] = [Number(arcs[0]! * 40n + arcs[1]!)];
    for (const arc of arcs.slice(2)) {
      const base128: number[] = [];
      for (let n = arc; ; n >>= 7n) {
        base128.unshift(Number(n & 0x7fn) | (base128.length ? 0x80 : 0));
        if (n < 0x80n) break;
      }
      out.push(...base128);
    }
    return tlv(0x06, Buffer.from(out));
  },
  utf8: (text: string) => tlv(0x0c, Buffer.from(text, "utf8")),
  printable: (text: string) => tlv(0x13, Buffer.from(text, "latin1")),
  ia5: (text: string) => tlv(0x16, Buffer.from(text, "latin1")),
  octetString: (bytes: Buffer) => tlv(0x04, bytes),
  /** A BIT STRING of whole bytes (keys, signatures): no unused bits. */
  bitString: (bytes: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), bytes])),
  /** `[n]` EXPLICIT: a constructed context tag around one encoding. */
  explicit: (n: number, inner: Buffer) => tlv(0xa0 | n, inner),
  /** UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280 §4.1.2.5); seconds, no fraction, Z. */
  time(date: Date): Buffer {
    const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
    const digits = iso.slice(0, 19).replace(/[-T:]/g, "");
    const year = date.getUTCFullYear();
    if (year < 1950 || year > 9999) throw new Error(`a certificate date must fall in 1950–9999, not ${iso}`);
    return year < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, "latin1")) : tlv(0x18, Buffer.from(`${digits}Z`, "latin1"));
  },
};

/** DER bit strings number bits from the most significant bit of the first byte and drop trailing zero bits. */
function namedBits(bits: readonly number[]): Buffer {
  if (bits.length === 0) return tlv(0x03, Buffer.from([0]));
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  const unused = 7 - (highest & 7);
  return tlv(0x03, Buffer.concat([Buffer.from([unused]), bytes]));
}

// ---- Names -----------------------------------------------------------------

/** One attribute: a short name below or a dotted OID, and its value. */
export type NameAttribute = readonly [key: string, value: string];
/** An RDN: one attribute, or several for a multi-valued RDN (`OU=x + CN=y`). */
export type Rdn = NameAttribute | readonly NameAttribute[];

const ATTRIBUTE_OIDS: Record<string, string> = {
  CN: "2.5.4.3",
  SN: "2.5.4.4",
  SERIALNUMBER: "2.5.4.5",
  C: "2.5.4.6",
  L: "2.5.4.7",
  ST: "2.5.4.8",
  STREET: "2.5.4.9",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  TITLE: "2.5.4.12",
  BUSINESSCATEGORY: "2.5.4.15",
  POSTALCODE: "2.5.4.17",
  GN: "2.5.4.42",
  EMAILADDRESS: "1.2.840.113549.1.9.1",
  DC: "0.9.2342.19200300.100.1.25",
  JURISDICTIONC: "1.3.6.1.4.1.311.60.2.1.3",
};
const IA5_ATTRIBUTES = new Set(["1.2.840.113549.1.9.1", "0.9.2342.19200300.100.1.25"]);
const PRINTABLE_ONLY = new Set(["2.5.4.6", "2.5.4.5", "1.3.6.1.4.1.311.60.2.1.3"]);
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function attributeOid(key: string): string {
  if (/^\d+(\.\d+)+$/.test(key)) return key;
  const oid = ATTRIBUTE_OIDS[key.toUpperCase()];
  if (!oid) throw new Error(`unknown name attribute ${key}: use one of ${Object.keys(ATTRIBUTE_OIDS).join(", ")} or a dotted OID`);
  return oid;
}

function attributeValue(oid: string, value: string): Buffer {
  if (IA5_ATTRIBUTES.has(oid)) return der.ia5(value);
  if (PRINTABLE_ONLY.has(oid) || PRINTABLE.test(value)) return der.printable(value);
  return der.utf8(value);
}

function isAttribute(rdn: Rdn): rdn is NameAttribute {
  return typeof rdn[0] === "string";
}

/** A Name in DER: RDNs in the order given, which is DER order (least specific, e.g. C, first). */
export function encodeName(rdns: readonly Rdn[]): Buffer {
  return der.sequence(
    ...rdns.map((rdn) => {
      const attributes = isAttribute(rdn) ? [rdn] : rdn;
      return der.set(...attributes.map(([key, value]) => der.sequence(der.oid(attributeOid(key)), attributeValue(attributeOid(key), value))));
    }),
  );
}

// ---- Certificates ----------------------------------------------------------

export interface CertificateOptions {
  /**
   * RDNs in DER order, least specific first as they are encoded: `[["C","US"],["O","Contoso"],["CN","mail.contoso.com"]]`.
   * node's `X509Certificate.subject` lists them in this order; Exchange shows them reversed.
   */
  subject: readonly Rdn[];
  /** The certificate that signs this one; absent: self-signed. */
  issuer?: MadeCertificate;
  /** DNS names for subjectAltName. */
  sans?: readonly string[];
  /** IPv4 addresses for subjectAltName, to check they are not taken for names. */
  ipAddresses?: readonly string[];
  notBefore: Date;
  notAfter: Date;
  /** Default: 16 random bytes. A string is hexadecimal. */
  serial?: bigint | string;
  isCA?: boolean;
  /** Default `ec` (P-256, quick); `rsa` is 2048 bits. */
  keyType?: "ec" | "rsa";
  /** Default `["serverAuth"]` for a leaf, none for a CA. */
  extendedKeyUsage?: readonly ("serverAuth" | "clientAuth")[];
  /** Subject and authority key identifiers; default true. */
  keyIdentifiers?: boolean;
}

export interface MadeCertificate {
  der: Buffer;
  pem: string;
  /** Base64 of the DER, as `RawData` would carry it. */
  base64: string;
  x509: X509Certificate;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SHA-1 of the DER in upper-case hex without separators, as Exchange shows `Thumbprint`. */
  thumbprint: string;
  /** The serial number in upper-case hex, as node's `serialNumber` shows it. */
  serial: string;
  /** The encoded subject Name, which an issued certificate copies as its issuer. */
  subjectName: Buffer;
  /** The subject key identifier, when one was written. */
  keyIdentifier: Buffer | undefined;
}

const OID = {
  ecPublicKey: "1.2.840.10045.2.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  sha256WithRsa: "1.2.840.113549.1.1.11",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
};

// keyUsage bits (RFC 5280 §4.2.1.3).
const DIGITAL_SIGNATURE = 0;
const KEY_ENCIPHERMENT = 2;
const KEY_CERT_SIGN = 5;
const CRL_SIGN = 6;

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return der.sequence(der.oid(oid), ...(critical ? [der.boolean(true)] : []), der.octetString(value));
}

function ipv4(address: string): Buffer {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${address}`);
  return Buffer.from(parts);
}

function serialOf(serial: bigint | string | undefined): bigint {
  if (typeof serial === "bigint") return serial;
  if (typeof serial === "string") return BigInt(`0x${serial.replace(/[\s:]/g, "")}`);
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f; // positive and at most 16 bytes, as CAs issue them
  return BigInt(`0x${bytes.toString("hex")}`);
}

/** The subjectPublicKey bits of an SPKI (SEQUENCE { algorithm, BIT STRING }), without the unused-bits byte. */
function subjectPublicKeyBits(spki: Buffer): Buffer {
  const outer = readTlv(spki, 0);
  const algorithm = readTlv(spki, outer.contentStart);
  const bits = readTlv(spki, algorithm.end);
  if (bits.tag !== 0x03) throw new Error("not a SubjectPublicKeyInfo");
  return spki.subarray(bits.contentStart + 1, bits.end);
}

function readTlv(buffer: Buffer, offset: number): { tag: number; contentStart: number; end: number } {
  const tag = buffer[offset]!;
  let length = buffer[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buffer[offset + 2 + i]!;
    contentStart += count;
  }
  return { tag, contentStart, end: contentStart + length };
}

/** Makes and signs an X.509 v3 certificate; see CertificateOptions. */
export function makeCertificate(options: CertificateOptions): MadeCertificate {
  const keyType = options.keyType ?? "ec";
  const { privateKey, publicKey } =
    keyType === "ec" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("rsa", { modulusLength: 2048 });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const subjectName = encodeName(options.subject);
  const issuer = options.issuer;
  const signingKey = issuer?.privateKey ?? privateKey;
  const signatureOid = signingKey.asymmetricKeyType === "ec" ? OID.ecdsaWithSha256 : OID.sha256WithRsa;
  // RSA signature algorithms carry NULL parameters; ECDSA ones carry none (RFC 5758 §3.2).
  const signatureAlgorithm = der.sequence(der.oid(signatureOid), ...(signatureOid === OID.sha256WithRsa ? [der.null()] : []));

  const isCA = options.isCA ?? false;
  const withIdentifiers = options.keyIdentifiers ?? true;
  // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits.
  const keyIdentifier = withIdentifiers ? createHash("sha1").update(subjectPublicKeyBits(spki)).digest() : undefined;
  const authorityKeyIdentifier = issuer ? issuer.keyIdentifier : keyIdentifier;

  const usage = isCA ? [DIGITAL_SIGNATURE, KEY_CERT_SIGN, CRL_SIGN] : keyType === "rsa" ? [DIGITAL_SIGNATURE, KEY_ENCIPHERMENT] : [DIGITAL_SIGNATURE];
  const ekus = options.extendedKeyUsage ?? (isCA ? [] : ["serverAuth"]);
  const generalNames = [
    ...(options.sans ?? []).map((name) => tlv(0x82, Buffer.from(name, "latin1"))), // [2] dNSName
    ...(options.ipAddresses ?? []).map((ip) => tlv(0x87, ipv4(ip))), // [7] iPAddress
  ];
  const extensions = [
    extension(OID.basicConstraints, true, der.sequence(...(isCA ? [der.boolean(true)] : []))),
    extension(OID.keyUsage, true, namedBits(usage)),
    ...(ekus.length ? [extension(OID.extKeyUsage, false, der.sequence(...ekus.map((eku) => der.oid(OID[eku]))))] : []),
    ...(generalNames.length ? [extension(OID.subjectAltName, false, der.sequence(...generalNames))] : []),
    ...(keyIdentifier ? [extension(OID.subjectKeyIdentifier, false, der.octetString(keyIdentifier))] : []),
    ...(authorityKeyIdentifier ? [extension(OID.authorityKeyIdentifier, false, der.sequence(tlv(0x80, authorityKeyIdentifier)))] : []),
  ];

  const serial = serialOf(options.serial);
  const tbs = der.sequence(
    der.explicit(0, der.integer(2n)), // v3
    der.integer(serial),
    signatureAlgorithm,
    issuer ? issuer.subjectName : subjectName,
    der.sequence(der.time(options.notBefore), der.time(options.notAfter)),
    subjectName,
    spki,
    der.explicit(3, der.sequence(...extensions)),
  );
  const signature = sign("sha256", tbs, signingKey);
  const certificate = der.sequence(tbs, signatureAlgorithm, der.bitString(signature));

  const base64 = certificate.toString("base64");
  const pem = `-----BEGIN CERTIFICATE-----\n${base64.replace(/.{1,64}/g, "$&\n")}-----END CERTIFICATE-----\n`;
  return {
    der: certificate,
    pem,
    base64,
    x509: new X509Certificate(certificate),
    privateKey,
    publicKey,
    thumbprint: createHash("sha1").update(certificate).digest("hex").toUpperCase(),
    serial: serial.toString(16).toUpperCase(),
    subjectName,
    keyIdentifier,
  };
}

/** A date `days` from `from` (negative for the past), for validity periods relative to now. */
export function daysFrom(from: Date, days: number): Date {
  return new Date(from.getTime() + days * 86_400_000);
}
