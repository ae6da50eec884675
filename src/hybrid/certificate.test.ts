import { describe, expect, it } from "vitest";
import { daysFrom, makeCertificate } from "../../test/support/certificates.js";
import { inputError } from "../../test/support/failure.js";
import { daysLeft, readCertificate } from "./certificate.js";
import { formatTlsCertificateName, parseTlsCertificateName } from "./certificate-name.js";
import { certificateMatchesDomain, nameMatches } from "./host-names.js";
import { exchangeName, normaliseName, sameName } from "./x500-name.js";

const now = new Date("2026-06-01T12:00:00Z");
const later = new Date("2027-06-01T12:00:00Z");

describe("exchangeName", () => {
  it("turns node's text of a real certificate into Exchange's, most specific first", () => {
    const cert = makeCertificate({
      subject: [
        ["C", "US"],
        ["ST", "WA"],
        ["L", "Seattle"],
        ["O", "Contoso Ltd"],
        ["CN", "mail.contoso.com"],
      ],
      notBefore: now,
      notAfter: later,
    });
    expect(exchangeName(cert.x509.subject)).toBe("CN=mail.contoso.com, O=Contoso Ltd, L=Seattle, S=WA, C=US");
    expect(exchangeName(cert.x509.issuer)).toBe("CN=mail.contoso.com, O=Contoso Ltd, L=Seattle, S=WA, C=US");
  });

  it("quotes values as Windows does, doubling quotes inside", () => {
    const cert = makeCertificate({
      subject: [
        ["C", "US"],
        ["O", "Contoso, Ltd"],
        ["OU", 'The "Mail" Team'],
        ["OU", "R+D"],
        ["OU", " padded "],
        ["OU", "a=b"],
        ["OU", "x;y <z> #1"],
        ["OU", "back\\slash"],
        ["CN", "mail.contoso.com"],
      ],
      notBefore: now,
      notAfter: later,
    });
    expect(exchangeName(cert.x509.subject)).toBe(
      'CN=mail.contoso.com, OU=back\\slash, OU="x;y <z> #1", OU="a=b", OU=" padded ", OU="R+D", OU="The ""Mail"" Team", O="Contoso, Ltd", C=US',
    );
  });

  it("writes Windows' keys: E, SERIALNUMBER, STREET, DC, and OID.n for the rest", () => {
    const cert = makeCertificate({
      subject: [
        ["JURISDICTIONC", "US"],
        ["2.5.4.15", "Private Organization"],
        ["SERIALNUMBER", "5157550"],
        ["STREET", "1 Microsoft Way"],
        ["DC", "com"],
        ["DC", "contoso"],
        ["emailAddress", "postmaster@contoso.com"],
        ["CN", "mail.contoso.com"],
      ],
      notBefore: now,
      notAfter: later,
    });
    expect(exchangeName(cert.x509.subject)).toBe(
      "CN=mail.contoso.com, E=postmaster@contoso.com, DC=contoso, DC=com, STREET=1 Microsoft Way, SERIALNUMBER=5157550, " +
        "OID.2.5.4.15=Private Organization, OID.1.3.6.1.4.1.311.60.2.1.3=US",
    );
  });

  it("keeps a multi-valued RDN together and reads UTF-8 and escaped control bytes", () => {
    const cert = makeCertificate({
      subject: [
        ["C", "DE"],
        ["O", "Müller Söhne 🙂"],
        [
          ["OU", "IT"],
          ["CN", "mail.mueller.de"],
        ],
        ["L", "line\nbreak"],
      ],
      notBefore: now,
      notAfter: later,
    });
    expect(cert.x509.subject).toContain("L=line\\0Abreak");
    expect(exchangeName(cert.x509.subject)).toBe('L="line\nbreak", OU=IT + CN=mail.mueller.de, O=Müller Söhne 🙂, C=DE');
  });

  it("quotes an empty value and reads an empty name as empty", () => {
    expect(exchangeName("O=\nCN=x")).toBe('CN=x, O=""');
    expect(exchangeName("")).toBe("");
  });

  it("refuses a line that is not KEY=value", () => {
    const error = inputError(() => exchangeName("C=US\nmail.contoso.com"));
    expect(error.message).toBe('"mail.contoso.com" is not KEY=value');
  });
});

describe("normaliseName", () => {
  it("reads keys in any case and alias, and whitespace around separators", () => {
    expect(normaliseName("cn = mail.contoso.com ;o=Contoso;  st=WA,c=US")).toBe("CN=mail.contoso.com, O=Contoso, S=WA, C=US");
    expect(normaliseName("E=a@contoso.com, EMAIL=b@contoso.com, emailAddress=c@contoso.com")).toBe(
      "E=a@contoso.com, E=b@contoso.com, E=c@contoso.com",
    );
    expect(normaliseName("OID.2.5.4.3=mail.contoso.com, 2.5.4.10=Contoso, OID.2.5.4.15=Private Organization")).toBe(
      "CN=mail.contoso.com, O=Contoso, OID.2.5.4.15=Private Organization",
    );
  });

  it("unquotes what needs no quotes and quotes what does, from .NET quotes or OpenSSL backslashes", () => {
    expect(normaliseName('CN="mail.contoso.com", O="Contoso, Ltd"')).toBe('CN=mail.contoso.com, O="Contoso, Ltd"');
    expect(normaliseName("CN=mail.contoso.com, O=Contoso\\, Ltd")).toBe('CN=mail.contoso.com, O="Contoso, Ltd"');
    expect(normaliseName('OU="The ""Mail"" Team"')).toBe('OU="The ""Mail"" Team"');
    expect(normaliseName('OU=" padded "')).toBe('OU=" padded "');
  });

  it("sorts the attributes of a multi-valued RDN", () => {
    expect(normaliseName("OU=IT+CN=mail.contoso.com, O=Contoso")).toBe(normaliseName("CN=mail.contoso.com + OU=IT, O=Contoso"));
    expect(normaliseName("OU=IT+CN=mail.contoso.com")).toBe("CN=mail.contoso.com + OU=IT");
  });

  it("keeps the case of values and the order of RDNs", () => {
    expect(sameName("CN=mail.contoso.com, O=Contoso", "cn=mail.contoso.com,o=Contoso")).toBe(true);
    expect(sameName("CN=mail.contoso.com, O=Contoso", "CN=Mail.Contoso.com, O=Contoso")).toBe(false);
    expect(sameName("CN=mail.contoso.com, O=Contoso", "O=Contoso, CN=mail.contoso.com")).toBe(false);
    expect(sameName("CN=R3, O=Let's Encrypt, C=US", "CN=R10, O=Let's Encrypt, C=US")).toBe(false);
  });

  it("leaves Exchange's own text as it is", () => {
    const text = exchangeName('C=US\nO=Contoso\\, Ltd\nOU=The \\"Mail\\" Team\nCN=mail.contoso.com');
    expect(text).toBe('CN=mail.contoso.com, OU="The ""Mail"" Team", O="Contoso, Ltd", C=US');
    expect(normaliseName(text)).toBe(text);
  });

  it("compares text that is not a name as itself, whitespace collapsed", () => {
    expect(normaliseName('  CN="unterminated ')).toBe('CN="unterminated');
    expect(normaliseName("just   some text")).toBe("just some text");
    expect(normaliseName('CN="a" trailing')).toBe('CN="a" trailing');
    expect(normaliseName("")).toBe("");
    expect(sameName("just some text", "just  some text")).toBe(true);
  });
});

describe("parseTlsCertificateName", () => {
  const issuer = "CN=GeoTrust TLS DV RSA Mixed SHA256 2020 CA-1, O=DigiCert Inc, C=US";

  it("reads <I>issuer<S>subject", () => {
    expect(parseTlsCertificateName(`<I>${issuer}<S>CN=mail.contoso.com`)).toEqual({ issuer, subject: "CN=mail.contoso.com" });
    expect(parseTlsCertificateName(` <i>${issuer}<s>CN=mail.contoso.com, O=Contoso `)).toEqual({ issuer, subject: "CN=mail.contoso.com, O=Contoso" });
  });

  it("reads the serialised SmtpX509Identifier", () => {
    // Get-ReceiveConnector | ConvertTo-Json through a remote session.
    const json = JSON.parse(`{
      "CertificateSubject": "CN=mail.contoso.com, O=Contoso Ltd, L=Seattle, S=WA, C=US",
      "CertificateIssuer": "${issuer}",
      "SubjectCommonName": "mail.contoso.com"
    }`);
    expect(parseTlsCertificateName(json)).toEqual({ issuer, subject: "CN=mail.contoso.com, O=Contoso Ltd, L=Seattle, S=WA, C=US" });
  });

  it("says what it expected, where", () => {
    const location = { source: "onprem.json", path: "receiveConnectors[0].TlsCertificateName" };
    expect(inputError(() => parseTlsCertificateName(1, location)).message).toBe(
      'onprem.json: receiveConnectors[0].TlsCertificateName: is number 1: expected "<I>{issuer}<S>{subject}" ' +
        'or an object with "CertificateIssuer" and "CertificateSubject"',
    );
    expect(inputError(() => parseTlsCertificateName("CN=mail.contoso.com")).detail).toMatch(
      /^"CN=mail.contoso.com" is not a certificate name: expected "<I>/,
    );
    expect(inputError(() => parseTlsCertificateName(`<S>CN=mail.contoso.com<I>${issuer}`)).detail).toMatch(/is not a certificate name/);
    expect(inputError(() => parseTlsCertificateName(`<I>${issuer}<S> `)).detail).toMatch(/^has no subject/);
    expect(inputError(() => parseTlsCertificateName("<I><S>CN=mail.contoso.com")).detail).toMatch(/^has no issuer/);
    expect(inputError(() => parseTlsCertificateName({ CertificateIssuer: issuer })).detail).toMatch(/^has no CertificateSubject/);
    expect(inputError(() => parseTlsCertificateName(null)).detail).toMatch(/^is null/);
    expect(inputError(() => parseTlsCertificateName([issuer])).detail).toMatch(/^is an array/);
    expect(inputError(() => parseTlsCertificateName(`<I>${issuer}<S>CN=mail\u202e.contoso.com`)).detail).toMatch(/must not contain control/);
  });
});

describe("formatTlsCertificateName", () => {
  it("writes <I>issuer<S>subject and reads back", () => {
    const name = { issuer: "CN=R3, O=Let's Encrypt, C=US", subject: "CN=mail.contoso.com" };
    const text = formatTlsCertificateName(name);
    expect(text).toBe("<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com");
    expect(parseTlsCertificateName(text)).toEqual(name);
  });

  it("refuses a part that is empty, unsafe or holds the markers", () => {
    expect(() => formatTlsCertificateName({ issuer: "", subject: "CN=x" })).toThrow(/has no issuer/);
    expect(() => formatTlsCertificateName({ issuer: "CN=a<S>CN=b", subject: "CN=x" })).toThrow(/<I> or <S>/);
    expect(() => formatTlsCertificateName({ issuer: "CN=a", subject: "CN=x\nCN=y" })).toThrow(/must not contain/);
  });
});

describe("readCertificate", () => {
  // Get-ExchangeCertificate | ConvertTo-Json on Windows PowerShell 5.1 (Exchange Management Shell).
  const ps51 = `{
    "FriendlyName": "Microsoft Exchange",
    "HasPrivateKey": true,
    "IsSelfSigned": true,
    "Issuer": "CN=EX01",
    "NotAfter": "\\/Date(1893456000000)\\/",
    "NotBefore": "\\/Date(1577836800000)\\/",
    "PublicKeySize": 2048,
    "SerialNumber": "3F5B1E6D9A0C2B47",
    "Services": 25,
    "Status": 0,
    "Subject": "CN=EX01",
    "Thumbprint": "a1b2c3d4e5f6a7b8c9d0 e1f2a3b4c5d6e7f8a9b0",
    "CertificateDomains": [
      { "IncludeSubDomains": false, "Address": "EX01", "Domain": "EX01", "SmtpDomain": { "Domain": "EX01" }, "IsStar": false },
      { "IncludeSubDomains": false, "Address": "ex01.contoso.local", "Domain": "ex01.contoso.local", "IsStar": false },
      { "IncludeSubDomains": true, "Domain": "contoso.com", "IsStar": false }
    ]
  }`;

  it("reads a Windows PowerShell 5.1 entry: /Date()/, Services flags, SmtpDomainWithSubdomains", () => {
    expect(readCertificate(JSON.parse(ps51))).toEqual({
      thumbprint: "A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6E7F8A9B0",
      subject: "CN=EX01",
      issuer: "CN=EX01",
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2030-01-01T00:00:00Z"),
      names: ["ex01", "ex01.contoso.local", "*.contoso.com"],
      services: ["IMAP", "IIS", "SMTP"],
      fromRawData: false,
    });
  });

  it("reads a PowerShell 7 entry: ISO 8601 dates, Services text, domain strings", () => {
    const entry = {
      Subject: "CN=mail.contoso.com, O=Contoso Ltd, L=Seattle, S=WA, C=US",
      Issuer: "CN=GeoTrust TLS DV RSA Mixed SHA256 2020 CA-1, O=DigiCert Inc, C=US",
      NotAfter: "2026-12-31T23:59:59+01:00",
      NotBefore: "2026-01-01T00:00:00",
      Services: "IMAP, POP, IIS, SMTP",
      CertificateDomains: ["mail.contoso.com", "autodiscover.contoso.com", "Mail.Contoso.com."],
      Thumbprint: "0123456789ABCDEF0123456789ABCDEF01234567",
    };
    const cert = readCertificate(entry);
    expect(cert.notAfter).toEqual(new Date("2026-12-31T22:59:59Z"));
    expect(cert.notBefore).toEqual(new Date("2026-01-01T00:00:00Z"));
    expect(cert.services).toEqual(["IMAP", "POP", "IIS", "SMTP"]);
    expect(cert.names).toEqual(["mail.contoso.com", "autodiscover.contoso.com"]);
  });

  it("reads the dates PowerShell wraps in an object, and 7-digit fractions", () => {
    const base = { Subject: "CN=x.contoso.com", Issuer: "CN=CA", Thumbprint: "0123456789ABCDEF0123456789ABCDEF01234567" };
    const wrapped = JSON.parse('{"value":"\\/Date(1767225600000)\\/","DisplayHint":2,"DateTime":"Thursday, January 1, 2026 12:00:00 AM"}');
    expect(readCertificate({ ...base, NotAfter: wrapped }).notAfter).toEqual(new Date("2026-01-01T00:00:00Z"));
    expect(readCertificate({ ...base, NotAfter: { DateTime: "2026-01-01T00:00:00Z" } }).notAfter).toEqual(new Date("2026-01-01T00:00:00Z"));
    expect(readCertificate({ ...base, NotAfter: "2026-01-01T00:00:00.1234567Z" }).notAfter).toEqual(new Date("2026-01-01T00:00:00.123Z"));
    expect(readCertificate({ ...base, NotAfter: "/Date(1767225600000+0100)/" }).notAfter).toEqual(new Date("2026-01-01T00:00:00Z"));
    expect(readCertificate({ ...base, NotAfter: "2026-01-01" }).notAfter).toEqual(new Date("2026-01-01T00:00:00Z"));
    expect(readCertificate({ ...base, NotAfter: "2026-01-01T00:00:00-0530" }).notAfter).toEqual(new Date("2026-01-01T05:30:00Z"));
    expect(readCertificate({ ...base, NotAfter: "2026-01-01" }).notBefore).toBeUndefined();
  });

  it("reads RawData, which wins over the text fields", () => {
    const root = makeCertificate({
      subject: [
        ["C", "US"],
        ["O", "Contoso"],
        ["CN", "Contoso Root CA"],
      ],
      isCA: true,
      notBefore: now,
      notAfter: daysFrom(now, 3650),
    });
    const leaf = makeCertificate({
      subject: [
        ["C", "US"],
        ["O", "Contoso Ltd"],
        ["CN", "Mail.Contoso.com"],
      ],
      issuer: root,
      sans: ["mail.contoso.com", "*.contoso.com", "autodiscover.contoso.com"],
      ipAddresses: ["192.0.2.25"],
      notBefore: now,
      notAfter: new Date("2027-06-30T23:59:59Z"),
    });
    const entry = {
      RawData: leaf.base64,
      Subject: "CN=stale.contoso.com",
      Issuer: "CN=Someone Else",
      Thumbprint: "0123456789ABCDEF0123456789ABCDEF01234567",
      NotAfter: "2020-01-01T00:00:00Z",
      CertificateDomains: ["stale.contoso.com"],
      Services: ["IIS", "SMTP"],
    };
    expect(readCertificate(entry)).toEqual({
      thumbprint: leaf.thumbprint,
      subject: "CN=Mail.Contoso.com, O=Contoso Ltd, C=US",
      issuer: "CN=Contoso Root CA, O=Contoso, C=US",
      notBefore: now,
      notAfter: new Date("2027-06-30T23:59:59Z"),
      names: ["mail.contoso.com", "*.contoso.com", "autodiscover.contoso.com"],
      services: ["IIS", "SMTP"],
      fromRawData: true,
    });
  });

  it("reads RawData as the byte array ConvertTo-Json writes, plain or wrapped", () => {
    const cert = makeCertificate({ subject: [["CN", "ex02.contoso.com"]], notBefore: now, notAfter: later, sans: ["ex02.contoso.com"] });
    const bytes = [...cert.der];
    expect(readCertificate({ RawData: bytes }).thumbprint).toBe(cert.thumbprint);
    expect(readCertificate({ RawData: { value: bytes, Count: bytes.length } }).names).toEqual(["ex02.contoso.com"]);
    expect(readCertificate({ RawData: cert.pem.replace(/-----[^-]+-----/g, "") }).thumbprint).toBe(cert.thumbprint);
  });

  it("takes the CN as a name only when it is a host name", () => {
    const ca = makeCertificate({ subject: [["CN", "Contoso Root CA"]], isCA: true, notBefore: now, notAfter: later });
    const host = makeCertificate({ subject: [["CN", "smtp.contoso.com"]], notBefore: now, notAfter: later, sans: ["mail.contoso.com"] });
    expect(readCertificate({ RawData: ca.base64 }).names).toEqual([]);
    expect(readCertificate({ RawData: host.base64 }).names).toEqual(["mail.contoso.com", "smtp.contoso.com"]);
  });

  it("reads a SAN DNS name node had to quote", () => {
    const odd = makeCertificate({ subject: [["CN", "Odd Names"]], notBefore: now, notAfter: later, sans: ["a,b.contoso.com", "mail.contoso.com"] });
    expect(odd.x509.subjectAltName).toBe('DNS:"a\\u002cb.contoso.com", DNS:mail.contoso.com');
    expect(readCertificate({ RawData: odd.base64 }).names).toEqual(["a,b.contoso.com", "mail.contoso.com"]);
  });

  it("reads a certificate without a subject, and refuses one whose subject holds control characters", () => {
    const sanOnly = makeCertificate({ subject: [], sans: ["mail.contoso.com"], notBefore: now, notAfter: later });
    expect(readCertificate({ RawData: sanOnly.base64 })).toMatchObject({ subject: "", issuer: "", names: ["mail.contoso.com"] });
    const odd = makeCertificate({
      subject: [
        ["L", "line\nbreak"],
        ["CN", "mail.contoso.com"],
      ],
      notBefore: now,
      notAfter: later,
    });
    const error = inputError(() => readCertificate({ RawData: odd.base64 }, { source: "onprem.json" }));
    expect(error.message).toBe(
      "onprem.json: RawData: has a subject with control, bidirectional or zero-width characters or line breaks: " +
        '"CN=mail.contoso.com, L=\\"line\\nbreak\\""',
    );
  });

  it("reads Services as None or an empty list as no services, and absent as unknown", () => {
    const base = { RawData: makeCertificate({ subject: [["CN", "x.contoso.com"]], notBefore: now, notAfter: later }).base64 };
    expect(readCertificate({ ...base, Services: 0 }).services).toEqual([]);
    expect(readCertificate({ ...base, Services: "None" }).services).toEqual([]);
    expect(readCertificate({ ...base, Services: [] }).services).toEqual([]);
    // A certificate from a remote session may carry only RawData: its services are not known, which is not "none".
    expect(readCertificate(base).services).toBeUndefined();
    expect(readCertificate({ ...base, Services: null }).services).toBeUndefined();
    expect(readCertificate({ ...base, Services: 127 }).services).toEqual(["IMAP", "POP", "UM", "IIS", "SMTP", "Federation", "UMCallRouter"]);
    expect(readCertificate({ ...base, Services: ["smtp", "iis", "SMTP"] }).services).toEqual(["IIS", "SMTP"]);
  });

  it("names the field and what it expected for bad input", () => {
    const good = JSON.parse(ps51);
    const at = { source: "onprem.json", path: "exchangeCertificates[2]" };
    const detail = (entry: unknown) => inputError(() => readCertificate(entry, at));

    expect(detail({ ...good, NotAfter: "2026-02-30T00:00:00Z" }).message).toBe(
      'onprem.json: exchangeCertificates[2].NotAfter: "2026-02-30T00:00:00Z" is not a date: ' +
        'expected an ISO 8601 date, "/Date(milliseconds)/", an object with "value" or "DateTime", or a date whose day and month cannot be confused',
    );
    expect(detail({ ...good, NotAfter: undefined }).path).toBe("exchangeCertificates[2].NotAfter");
    expect(detail({ ...good, NotAfter: 1767225600000 }).detail).toMatch(/^is number 1767225600000: expected an ISO 8601 date/);
    expect(detail({ ...good, NotAfter: "11/12/2026" }).detail).toMatch(/could be read with day and month either way/);
    expect(detail({ ...good, NotAfter: "2026-01-01T24:30:00Z" }).detail).toMatch(/is not a date/);
    expect(readCertificate({ ...good, NotAfter: { DateTime: "Thursday, January 1, 2026 12:00:00 AM" } }).notAfter.toISOString()).toBe(
      "2026-01-01T00:00:00.000Z",
    );
    expect(detail({ ...good, NotAfter: { DateTime: "01/02/2026 00:00:00" } }).detail).toMatch(/could be read with day and month either way/);
    expect(detail({ ...good, NotAfter: { DisplayHint: 2 } }).detail).toMatch(/without a readable "value"/);
    expect(detail({ ...good, NotBefore: "soon" }).path).toBe("exchangeCertificates[2].NotBefore");
    expect(detail({ ...good, Thumbprint: "A1B2" }).detail).toBe('"A1B2" is not a thumbprint: expected 40 hexadecimal digits (SHA-1)');
    expect(detail({ ...good, Thumbprint: "\u200eA1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6E7F8A9B0" }).detail).toMatch(/is not a thumbprint/);
    expect(detail({ ...good, Thumbprint: undefined }).detail).toMatch(/^missing is not a thumbprint/);
    expect(detail({ ...good, Subject: "" }).path).toBe("exchangeCertificates[2].Subject");
    expect(detail({ ...good, Issuer: 7 }).detail).toMatch(/^is number 7: expected an X.500 name/);
    expect(detail({ ...good, Subject: "CN=ex01\u0000" }).detail).toMatch(/must not contain control/);
    expect(detail({ ...good, Services: "IIS, SMTP, Fax" }).detail).toMatch(/^"Fax" is not an Exchange service: expected "IMAP, POP, IIS, SMTP"/);
    expect(detail({ ...good, Services: 128 }).detail).toMatch(/^128 is not an AllowedServices value/);
    expect(detail({ ...good, Services: -1 }).detail).toMatch(/is not an AllowedServices value/);
    expect(detail({ ...good, Services: { value: 24 } }).detail).toMatch(/^is an object: expected "IMAP, POP, IIS, SMTP"/);
    expect(detail({ ...good, Services: [16] }).detail).toMatch(/^has number 16 among the services/);
    expect(detail({ ...good, CertificateDomains: [{ Name: "x" }] }).path).toBe("exchangeCertificates[2].CertificateDomains");
    expect(detail({ ...good, CertificateDomains: [{ Name: "x" }] }).detail).toMatch(/^\[0\] is an object: expected domain names/);
    expect(detail({ ...good, CertificateDomains: 5 }).detail).toMatch(/^is number 5: expected domain names/);
    expect(detail({ ...good, CertificateDomains: ["ok.contoso.com", "bad\u2028.contoso.com"] }).detail).toMatch(/has a name with control/);
    expect(detail({ ...good, RawData: "not base64!" }).path).toBe("exchangeCertificates[2].RawData");
    expect(detail({ ...good, RawData: "not base64!" }).detail).toMatch(/expected the certificate's DER as base64/);
    expect(detail({ ...good, RawData: "AAAA" }).detail).toMatch(/^is not a certificate \(/);
    expect(detail({ ...good, RawData: [1, 2, 300] }).detail).toMatch(/^is an array: expected the certificate's DER/);
    expect(detail([good]).message).toBe("onprem.json: exchangeCertificates[2]: is an array: expected a Get-ExchangeCertificate object");
    expect(detail(null).detail).toBe("is null: expected a Get-ExchangeCertificate object");
  });
});

describe("nameMatches", () => {
  it.each([
    ["mail.contoso.com", "mail.contoso.com", true],
    ["Mail.Contoso.COM", "mail.contoso.com.", true],
    ["mail.contoso.com.", "MAIL.contoso.com", true],
    ["*.contoso.com", "mail.contoso.com", true],
    ["*.contoso.com", "MAIL.CONTOSO.COM.", true],
    ["*.contoso.com", "contoso.com", false],
    ["*.contoso.com", "a.b.contoso.com", false],
    ["*.contoso.com", "mail.othercontoso.com", false],
    ["*.contoso.com", "mailcontoso.com", false],
    ["mail.contoso.com", "smtp.contoso.com", false],
    ["contoso.com", "mail.contoso.com", false],
  ])("%s covers %s: %s", (pattern, host, expected) => {
    expect(nameMatches(pattern, host)).toBe(expected);
  });

  it.each([
    ["m*.contoso.com", "mail.contoso.com"],
    ["mail.*.com", "mail.contoso.com"],
    ["*.com", "contoso.com"],
    ["*", "mail"],
    ["*.contoso.com", "*.contoso.com"],
    ["", ""],
    ["mail..contoso.com", "mail..contoso.com"],
    ["mail contoso.com", "mail contoso.com"],
    ["-mail.contoso.com", "-mail.contoso.com"],
  ])("never matches malformed or partial wildcards: %s against %s", (pattern, host) => {
    expect(nameMatches(pattern, host)).toBe(false);
  });
});

describe("certificateMatchesDomain", () => {
  const named = (...names: string[]) => ({ names });

  it("matches a plain domain by RFC 6125, a wildcard certificate included", () => {
    expect(certificateMatchesDomain(named("autodiscover.contoso.com", "mail.contoso.com"), "mail.contoso.com")).toBe(true);
    expect(certificateMatchesDomain(named("*.contoso.com"), "Mail.Contoso.com")).toBe(true);
    expect(certificateMatchesDomain(named("*.contoso.com"), "contoso.com")).toBe(false);
    expect(certificateMatchesDomain(named("*.contoso.com"), "a.b.contoso.com")).toBe(false);
    expect(certificateMatchesDomain(named("mail.contoso.com"), "smtp.contoso.com")).toBe(false);
  });

  it("matches a wildcard domain by the domain and all its subdomains, as Exchange Online does", () => {
    expect(certificateMatchesDomain(named("mail.contoso.com"), "*.contoso.com")).toBe(true);
    expect(certificateMatchesDomain(named("contoso.com"), "*.contoso.com")).toBe(true);
    expect(certificateMatchesDomain(named("smtp.eu.contoso.com"), "*.contoso.com")).toBe(true);
    expect(certificateMatchesDomain(named("*.contoso.com"), "*.contoso.com")).toBe(true);
    expect(certificateMatchesDomain(named("*.eu.contoso.com"), "*.CONTOSO.com.")).toBe(true);
    expect(certificateMatchesDomain(named("*.com"), "*.contoso.com")).toBe(false);
    expect(certificateMatchesDomain(named("mail.othercontoso.com"), "*.contoso.com")).toBe(false);
    expect(certificateMatchesDomain(named("ex01"), "*.contoso.com")).toBe(false);
  });

  it("matches nothing for no names or a malformed domain", () => {
    expect(certificateMatchesDomain(named(), "mail.contoso.com")).toBe(false);
    expect(certificateMatchesDomain(named("mail.contoso.com"), "")).toBe(false);
    expect(certificateMatchesDomain(named("mail.contoso.com"), "*.com")).toBe(false);
    expect(certificateMatchesDomain(named("mail.contoso.com"), "*")).toBe(false);
    expect(certificateMatchesDomain(named("mail.contoso.com"), "mail.*.com")).toBe(false);
  });

  it("answers for a certificate read from RawData", () => {
    const cert = makeCertificate({ subject: [["CN", "mail.contoso.com"]], sans: ["mail.contoso.com"], notBefore: now, notAfter: later });
    const read = readCertificate({ RawData: cert.base64 });
    expect(certificateMatchesDomain(read, "*.contoso.com")).toBe(true);
    expect(certificateMatchesDomain(read, "mail.protection.outlook.com")).toBe(false);
  });
});

describe("daysLeft", () => {
  const expiring = { notAfter: new Date("2026-07-01T00:00:00Z") };

  it("counts whole days, 0 on the last day, negative after", () => {
    expect(daysLeft(expiring, new Date("2026-06-01T00:00:00Z"))).toBe(30);
    expect(daysLeft(expiring, new Date("2026-06-01T00:00:01Z"))).toBe(29);
    expect(daysLeft(expiring, new Date("2026-06-30T00:00:00Z"))).toBe(1);
    expect(daysLeft(expiring, new Date("2026-06-30T23:00:00Z"))).toBe(0);
    expect(daysLeft(expiring, new Date("2026-07-01T00:00:00Z"))).toBe(0);
    expect(daysLeft(expiring, new Date("2026-07-01T00:00:01Z"))).toBe(-1);
    expect(daysLeft(expiring, new Date("2026-07-11T00:00:00Z"))).toBe(-10);
  });

  it("counts down a real expired certificate", () => {
    const expired = makeCertificate({ subject: [["CN", "old.contoso.com"]], notBefore: daysFrom(now, -400), notAfter: daysFrom(now, -35) });
    expect(daysLeft(readCertificate({ RawData: expired.base64 }), now)).toBe(-35);
  });

  it("gives NaN for an invalid date rather than a number that looks real", () => {
    expect(daysLeft(expiring, new Date("nonsense"))).toBeNaN();
  });
});
