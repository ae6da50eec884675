import { z } from "zod";
import { InputError } from "../errors.js";
import { ACCEPTED_DOMAIN_TYPE } from "../serialised/enums.js";
import { psBool, psEnumValue, psHost, psName } from "../serialised/values.js";
import { parseTlsCertificateName } from "./certificate-name.js";
import type { AcceptedDomainState, CertificateName, RemoteDomainState } from "./hybrid-state.js";

/*
 * The pieces every Exchange object of a state document is read with, on
 * either side: enums by name or number, flags, certificate names, hosts,
 * booleans, names, and the domains both sides have.
 */

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

export const named = { Identity: psName.optional(), Name: psName.optional() };

export const rawAcceptedDomain = z
  .looseObject({ ...named, DomainName: psHost, DomainType: psEnumValue(ACCEPTED_DOMAIN_TYPE) })
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
