import type { CertificateState, HybridState } from "./hybrid-state.js";
import {
  type CertificateReference,
  certificateReferences,
  certificatesNamed,
  certificatesWithSubject,
  newest,
  smtpCertificates,
} from "./references.js";

/** The certificates a reference presents: those its name finds, or, after a renewal it missed, the newest with its subject. */
function presentedBy(state: HybridState, refs: readonly CertificateReference[]): CertificateState[] {
  const out = new Map<string, CertificateState>();
  for (const ref of refs) {
    const candidates = smtpCertificates(state, ref.servers);
    const named = certificatesNamed(ref.name, candidates);
    const shown = named.length > 0 ? named : [newest(certificatesWithSubject(ref.name, candidates))].filter((c) => c !== undefined);
    for (const c of shown) out.set(c.thumbprint, c);
  }
  return [...out.values()];
}

/**
 * The certificates the on-premises side presents to Exchange Online when it
 * sends: those of the send connectors that route to the tenant
 * (`CloudServicesMailEnabled`, or an address space under
 * `mail.onmicrosoft.com`), else the hybrid configuration's.
 */
export function sendingCertificates(state: HybridState): CertificateState[] {
  const toCloud = new Set(
    (state.onPremises?.sendConnectors ?? [])
      .filter((c) => c.enabled && (c.cloudServicesMailEnabled || c.addressSpaces.some((a) => a.endsWith(".mail.onmicrosoft.com"))))
      .map((c) => c.identity),
  );
  const refs = certificateReferences(state);
  const sending = refs.filter((r) => r.kind === "send-connector" && toCloud.has(r.identity));
  return presentedBy(state, sending.length > 0 ? sending : refs.filter((r) => r.kind === "hybrid-configuration"));
}

/**
 * The certificates the on-premises side presents when Exchange Online
 * delivers to it: those of the receive connectors trusted for cloud mail,
 * else the hybrid configuration's.
 */
export function receivingCertificates(state: HybridState): CertificateState[] {
  const trusted = new Set((state.onPremises?.receiveConnectors ?? []).filter((c) => c.enabled && isCloudTrusted(c)).map((c) => c.identity));
  const refs = certificateReferences(state);
  const receiving = refs.filter((r) => r.kind === "receive-connector" && trusted.has(r.identity));
  return presentedBy(state, receiving.length > 0 ? receiving : refs.filter((r) => r.kind === "hybrid-configuration"));
}

/** The capability that makes a receive connector take hybrid mail as the organisation's own (2013+, or 2010's). */
export const CLOUD_CAPABILITIES = ["AcceptCloudServicesMail", "AcceptOorgProtocol"] as const;
export const EOP_TLS_DOMAIN = "mail.protection.outlook.com";

/** Whether a receive connector carries a cloud-mail capability for any domain (HealthChecker's "cloud enabled"). */
export function isCloudEnabled(c: { tlsDomainCapabilities: { domain: string; capabilities: string[] }[] }): boolean {
  return c.tlsDomainCapabilities.some((t) => t.capabilities.some((cap) => (CLOUD_CAPABILITIES as readonly string[]).includes(cap)));
}

/** Whether a receive connector takes Exchange Online's mail as the organisation's own: a cloud capability for EOP's TLS domain. */
export function isCloudTrusted(c: { tlsDomainCapabilities: { domain: string; capabilities: string[] }[] }): boolean {
  return c.tlsDomainCapabilities.some(
    (t) => t.domain === EOP_TLS_DOMAIN && t.capabilities.some((cap) => (CLOUD_CAPABILITIES as readonly string[]).includes(cap)),
  );
}
