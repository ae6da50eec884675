import { z } from "zod";
import { InputError } from "../errors.js";
import type { AcceptedDomainState, CertificateName, RemoteDomainState } from "./hybrid-state.js";
import { listItems, psBool, psEnum, psHost, psName } from "./powershell-json.js";
import { parseTlsCertificateName } from "./x500-name.js";

/*
 * The pieces every Exchange object of a state document is read with, on
 * either side: enums by name or number, flags, certificate names, hosts,
 * booleans, names, and the domains both sides have.
 */

export const TLS_AUTH_LEVELS = ["EncryptionOnly", "CertificateValidation", "DomainValidation"] as const;
// Microsoft.Exchange.Data.TlsAuthLevel: EncryptionOnly = 1, CertificateValidation = 2, DomainValidation = 4.
export const TLS_AUTH_LEVEL_NUMBERS = { 1: "EncryptionOnly", 2: "CertificateValidation", 4: "DomainValidation" };
export const DOMAIN_TYPES = ["Authoritative", "ExternalRelay", "InternalRelay"] as const;
// Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomainType, in declaration order.
export const DOMAIN_TYPE_NUMBERS = { 0: "Authoritative", 1: "ExternalRelay", 2: "InternalRelay" };
export const CONNECTOR_TYPES = ["OnPremises", "Partner"] as const;
// The admin endpoint and remote sessions give names; no number is known for certain, so none is taken.
export const CONNECTOR_TYPE_NUMBERS = {};

/** One value of an enum (the first of a flags value). */
export const one = (names: readonly string[], numbers: Record<number, string>) => psEnum(names, numbers).transform((v) => v[0]);

/** Words of a flags property kept as Exchange names them (`"Tls, Integrated"`, or an array). */
export const words = z
  .preprocess(
    (v) => (typeof v === "string" ? v.split(",") : listItems(v)),
    z.array(z.union([z.string(), z.number()]).transform((w) => String(w).trim())),
  )
  .transform((w) => w.filter(Boolean));

/** Null, absent or empty is no certificate named; otherwise `<I>…<S>…` or the serialised SmtpX509Identifier. */
export const tlsCertificateName = z
  .unknown()
  .transform((v, ctx): CertificateName | undefined => {
    if (v === null || v === undefined || v === "") return undefined;
    try {
      return parseTlsCertificateName(v);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: error instanceof InputError ? error.detail : String(error) });
      return z.NEVER;
    }
  })
  // A transform alone makes the key required in zod 4: an object without the property would be refused.
  .optional();

export const optionalHost = z.preprocess((v) => (v === null || v === "" ? undefined : v), psHost.optional());
export const bool = (fallback: boolean) => z.preprocess((v) => (v === null ? undefined : v), psBool.optional()).transform((b) => b ?? fallback);

export function identityOf(c: { Identity?: string | undefined; Name?: string | undefined; Server?: string | undefined }): string | undefined {
  if (c.Identity?.includes("\\")) return c.Identity;
  if (c.Server && c.Name) return `${c.Server}\\${c.Name}`;
  return c.Identity ?? c.Name;
}

export const named = { Identity: psName.optional(), Name: psName.optional() };

export const rawAcceptedDomain = z
  .looseObject({ ...named, DomainName: psHost, DomainType: one(DOMAIN_TYPES, DOMAIN_TYPE_NUMBERS) })
  .transform((d): AcceptedDomainState => ({ name: d.Name ?? d.Identity ?? d.DomainName, domainName: d.DomainName, domainType: d.DomainType ?? "" }));

export const rawRemoteDomain = z
  .looseObject({ ...named, DomainName: psHost, TargetDeliveryDomain: bool(false), TrustedMailInboundEnabled: bool(false) })
  .transform(
    (d): RemoteDomainState => ({
      name: d.Name ?? d.Identity ?? d.DomainName,
      domainName: d.DomainName,
      targetDeliveryDomain: d.TargetDeliveryDomain,
      trustedMailInboundEnabled: d.TrustedMailInboundEnabled,
    }),
  );
