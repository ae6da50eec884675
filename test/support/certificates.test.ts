import { createHash, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { daysFrom, der, makeCertificate } from "./certificates.js";

const now = new Date("2026-06-01T12:00:00Z");
const year = (y: number) => new Date(Date.UTC(y, 0, 1));

describe("the DER writer", () => {
  it("writes lengths in short and long form", () => {
    expect(der.octetString(Buffer.alloc(3)).subarray(0, 2)).toEqual(Buffer.from([0x04, 3]));
    expect(der.octetString(Buffer.alloc(200)).subarray(0, 3)).toEqual(Buffer.from([0x04, 0x81, 200]));
    expect(der.octetString(Buffer.alloc(300)).subarray(0, 4)).toEqual(Buffer.from([0x04, 0x82, 0x01, 0x2c]));
  });

  it("keeps integers positive with a leading zero byte", () => {
    expect(der.integer(0x7fn).toString("hex")).toBe("02017f");
    expect(der.integer(0x80n).toString("hex")).toBe("02020080");
    expect(der.integer(0n).toString("hex")).toBe("020100");
  });

  it("encodes OIDs in base 128", () => {
    expect(der.oid("2.5.4.3").toString("hex")).toBe("0603550403");
    expect(der.oid("1.2.840.113549.1.1.11").toString("hex")).toBe("06092a864886f70d01010b");
  });

  it("writes UTCTime before 2050 and GeneralizedTime from 2050", () => {
    expect(der.time(new Date("2049-12-31T23:59:59.999Z")).toString("latin1").slice(2)).toBe("491231235959Z");
    expect(der.time(new Date("2049-12-31T23:59:59Z"))[0]).toBe(0x17);
    expect(der.time(new Date("2050-01-01T00:00:00Z")).toString("latin1").slice(2)).toBe("20500101000000Z");
    expect(der.time(new Date("2050-01-01T00:00:00Z"))[0]).toBe(0x18);
    expect(() => der.time(new Date("1949-12-31T00:00:00Z"))).toThrow(/1950/);
  });
});

describe("makeCertificate", () => {
  it("makes a self-signed certificate node reads back", () => {
    const cert = makeCertificate({
      subject: [
        ["C", "US"],
        ["ST", "WA"],
        ["L", "Seattle"],
        ["O", "Contoso Ltd"],
        ["CN", "mail.contoso.com"],
      ],
      sans: ["mail.contoso.com", "autodiscover.contoso.com"],
      ipAddresses: ["192.0.2.25"],
      notBefore: now,
      notAfter: year(2027),
      serial: "0A1B2C",
    });
    expect(cert.x509.subject).toBe("C=US\nST=WA\nL=Seattle\nO=Contoso Ltd\nCN=mail.contoso.com");
    expect(cert.x509.issuer).toBe(cert.x509.subject);
    expect(cert.x509.subjectAltName).toBe("DNS:mail.contoso.com, DNS:autodiscover.contoso.com, IP Address:192.0.2.25");
    expect(cert.x509.validFrom).toBe("Jun  1 12:00:00 2026 GMT");
    expect(cert.x509.validTo).toBe("Jan  1 00:00:00 2027 GMT");
    expect(cert.x509.serialNumber).toBe("0A1B2C");
    expect(cert.x509.ca).toBe(false);
    expect(cert.x509.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(cert.x509.verify(cert.publicKey)).toBe(true);
    // Self-signed, but its keyUsage lacks keyCertSign: OpenSSL does not take a leaf as its own issuer.
    expect(cert.x509.checkIssued(cert.x509)).toBe(false);
    expect(cert.x509.checkPrivateKey(cert.privateKey)).toBe(true);
    expect(cert.x509.checkHost("autodiscover.contoso.com")).toBe("autodiscover.contoso.com");
  });

  it("gives the DER, PEM and base64 of one certificate, and Exchange's thumbprint", () => {
    const cert = makeCertificate({ subject: [["CN", "ex01.contoso.local"]], notBefore: now, notAfter: year(2031) });
    expect(new X509Certificate(cert.pem).raw).toEqual(cert.der);
    expect(Buffer.from(cert.base64, "base64")).toEqual(cert.der);
    expect(cert.pem).toMatch(/^-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]{1,64}\n)+-----END CERTIFICATE-----\n$/);
    expect(cert.thumbprint).toMatch(/^[0-9A-F]{40}$/);
    expect(cert.thumbprint).toBe(cert.x509.fingerprint.replaceAll(":", ""));
    expect(cert.thumbprint).toBe(createHash("sha1").update(cert.der).digest("hex").toUpperCase());
  });

  it("chains root → intermediate → leaf, each signed by its issuer's key", () => {
    const root = makeCertificate({
      subject: [
        ["C", "US"],
        ["O", "Contoso"],
        ["CN", "Contoso Root CA"],
      ],
      isCA: true,
      notBefore: now,
      notAfter: year(2046),
    });
    const intermediate = makeCertificate({
      subject: [
        ["C", "US"],
        ["O", "Contoso"],
        ["CN", "Contoso TLS CA 2026"],
      ],
      issuer: root,
      isCA: true,
      notBefore: now,
      notAfter: year(2036),
      keyType: "rsa",
    });
    const leaf = makeCertificate({
      subject: [["CN", "mail.contoso.com"]],
      issuer: intermediate,
      sans: ["mail.contoso.com"],
      notBefore: now,
      notAfter: year(2027),
    });

    expect(root.x509.ca).toBe(true);
    expect(intermediate.x509.ca).toBe(true);
    expect(intermediate.x509.issuer).toBe("C=US\nO=Contoso\nCN=Contoso Root CA");
    expect(leaf.x509.issuer).toBe("C=US\nO=Contoso\nCN=Contoso TLS CA 2026");
    expect(root.x509.checkIssued(root.x509)).toBe(true);
    expect(intermediate.x509.checkIssued(root.x509)).toBe(true);
    expect(leaf.x509.checkIssued(intermediate.x509)).toBe(true);
    expect(leaf.x509.checkIssued(root.x509)).toBe(false);
    expect(intermediate.x509.verify(root.publicKey)).toBe(true);
    expect(leaf.x509.verify(intermediate.publicKey)).toBe(true);
    expect(leaf.x509.verify(root.publicKey)).toBe(false);
    expect(leaf.x509.publicKey.asymmetricKeyType).toBe("ec");
    expect(intermediate.x509.publicKey.asymmetricKeyType).toBe("rsa");
  });

  it("writes the key identifiers that link a certificate to its issuer", () => {
    const root = makeCertificate({ subject: [["CN", "Root"]], isCA: true, notBefore: now, notAfter: year(2040) });
    const leaf = makeCertificate({ subject: [["CN", "leaf.contoso.com"]], issuer: root, notBefore: now, notAfter: year(2027) });
    const bare = makeCertificate({ subject: [["CN", "bare.contoso.com"]], notBefore: now, notAfter: year(2027), keyIdentifiers: false });
    const text = (c: { x509: X509Certificate }) => c.x509.toLegacyObject() as unknown as { ext_key_usage?: string[] };
    expect(root.keyIdentifier).toHaveLength(20);
    expect(leaf.der.includes(root.keyIdentifier!)).toBe(true);
    expect(bare.keyIdentifier).toBeUndefined();
    expect(bare.der.length).toBeLessThan(leaf.der.length);
    expect(text(leaf).ext_key_usage).toEqual(["1.3.6.1.5.5.7.3.1"]);
  });

  it("makes an expired certificate from dates in the past", () => {
    const expired = makeCertificate({
      subject: [["CN", "old.contoso.com"]],
      notBefore: daysFrom(now, -400),
      notAfter: daysFrom(now, -35),
      serial: 1n,
    });
    const validTo = new Date(expired.x509.validTo);
    expect(validTo.getTime()).toBeLessThan(now.getTime());
    expect(expired.x509.validTo).toBe("Apr 27 12:00:00 2026 GMT");
    expect(expired.x509.serialNumber).toBe("01");
  });

  it("writes dates from 2050 on that node reads as the same instant", () => {
    const longLived = makeCertificate({
      subject: [["CN", "Far Root"]],
      isCA: true,
      notBefore: year(2049),
      notAfter: new Date("2060-03-04T05:06:07Z"),
    });
    expect(longLived.x509.validFrom).toBe("Jan  1 00:00:00 2049 GMT");
    expect(longLived.x509.validTo).toBe("Mar  4 05:06:07 2060 GMT");
  });

  it("encodes names as node prints them: UTF-8, multi-valued RDNs, escapes, other attributes", () => {
    const cert = makeCertificate({
      subject: [
        ["C", "DE"],
        ["O", "Müller, Söhne & Co"],
        [
          ["OU", "IT"],
          ["CN", "mail.mueller.de"],
        ],
        ["emailAddress", "postmaster@mueller.de"],
        ["2.5.4.15", "Private Organization"],
      ],
      notBefore: now,
      notAfter: year(2027),
      extendedKeyUsage: ["serverAuth", "clientAuth"],
    });
    expect(cert.x509.subject).toBe(
      "C=DE\nO=Müller\\, Söhne & Co\nOU=IT + CN=mail.mueller.de\nemailAddress=postmaster@mueller.de\nbusinessCategory=Private Organization",
    );
    expect(cert.x509.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
  });

  it("refuses attributes it does not know", () => {
    expect(() => makeCertificate({ subject: [["XX", "y"]], notBefore: now, notAfter: year(2027) })).toThrow(/unknown name attribute XX/);
  });
});
