import { InputError, type InputLocation } from "../errors.js";
import { describeValue, hasUnsafeCharacters, printable, UNSAFE_CHARACTERS } from "../validation.js";

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
  // A name with <I> or <S> inside its parts could not be written back as Exchange takes it.
  const writable = (name: TlsCertificateName): TlsCertificateName => {
    if (/<[IS]>/i.test(name.issuer + name.subject)) throw new InputError(`has <I> or <S> inside its issuer or subject: ${TLS_NAME_EXPECTED}`);
    return name;
  };
  try {
    if (typeof value === "string") {
      const match = /^\s*<I>([\s\S]*?)<S>([\s\S]*)$/i.exec(value);
      if (!match) throw new InputError(`${printable(JSON.stringify(value.slice(0, 80)))} is not a certificate name: ${TLS_NAME_EXPECTED}`);
      return writable({ issuer: checkedNamePart(match[1], "issuer"), subject: checkedNamePart(match[2], "subject") });
    }
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const o = value as Record<string, unknown>;
      return writable({
        issuer: checkedNamePart(o.CertificateIssuer, "CertificateIssuer"),
        subject: checkedNamePart(o.CertificateSubject, "CertificateSubject"),
      });
    }
    throw new InputError(`is ${describeValue(value)}: ${TLS_NAME_EXPECTED}`);
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
