import type { CertificateName, CertificateState, HybridState } from "./hybrid-state.js";
import { normaliseName } from "./x500-name.js";

/**
 * Where the on-premises side names a certificate by `<I>issuer<S>subject`:
 * each send connector, each receive connector, and the hybrid
 * configuration. Exchange finds the certificate by those two strings, not by
 * thumbprint, so a renewal with another issuer or subject breaks every one of
 * them until it is set again.
 */
export interface CertificateReference {
  /** Stable across runs: what the renewal memory is keyed by. */
  key: string;
  kind: "send-connector" | "receive-connector" | "hybrid-configuration";
  identity: string;
  /** The cmdlet that sets it, and its identity parameter's value. */
  cmdlet: "Set-SendConnector" | "Set-ReceiveConnector" | "Set-HybridConfiguration";
  name: CertificateName;
  /** The servers whose certificate it means: the connector's own, or the source/receiving servers. */
  servers: string[];
}

/** Every reference the on-premises state makes to a certificate by name. */
export function certificateReferences(state: HybridState): CertificateReference[] {
  const on = state.onPremises;
  if (!on) return [];
  const refs: CertificateReference[] = [];
  for (const c of on.sendConnectors ?? []) {
    if (!c.tlsCertificateName) continue;
    refs.push({
      key: `send-connector|${c.identity.toLowerCase()}`,
      kind: "send-connector",
      identity: c.identity,
      cmdlet: "Set-SendConnector",
      name: c.tlsCertificateName,
      servers: c.sourceTransportServers,
    });
  }
  for (const c of on.receiveConnectors ?? []) {
    if (!c.tlsCertificateName) continue;
    refs.push({
      key: `receive-connector|${c.identity.toLowerCase()}`,
      kind: "receive-connector",
      identity: c.identity,
      cmdlet: "Set-ReceiveConnector",
      name: c.tlsCertificateName,
      servers: c.server ? [c.server] : [],
    });
  }
  const h = on.hybridConfiguration;
  if (h?.tlsCertificateName) {
    refs.push({
      key: "hybrid-configuration",
      kind: "hybrid-configuration",
      identity: "Hybrid Configuration",
      cmdlet: "Set-HybridConfiguration",
      name: h.tlsCertificateName,
      servers: [...new Set([...h.sendingTransportServers, ...h.receivingTransportServers, ...h.edgeTransportServers])],
    });
  }
  return refs;
}

/**
 * The certificates on the given servers (all of them when the reference names
 * none, or none is known). A name finds among all of them, as Exchange's
 * transport and HealthChecker look it up: by issuer and subject, whatever the
 * services (Diagnostics/HealthChecker/Analyzer/Get-ExchangeConnectorCustomObject.ps1).
 */
export function serverCertificates(state: HybridState, servers: readonly string[]): CertificateState[] {
  const all = state.onPremises?.exchangeCertificates ?? [];
  const wanted = new Set(servers.map(serverKey));
  const onServers = all.filter((c) => c.server !== undefined && wanted.has(serverKey(c.server)));
  return wanted.size === 0 || onServers.length === 0 ? all : onServers;
}

/**
 * Whether a certificate can serve SMTP: enabled for it, or its services not
 * said (a certificate with only RawData), which is not "not SMTP". Without
 * SMTP the transport service (Network Service) cannot read its private key.
 */
export function mayServeSmtp(c: CertificateState): boolean {
  return c.services === undefined || c.services.includes("SMTP");
}

/** The certificates on the servers that may serve SMTP (see mayServeSmtp). */
export function smtpCertificates(state: HybridState, servers: readonly string[]): CertificateState[] {
  return serverCertificates(state, servers).filter(mayServeSmtp);
}

/** The certificates a name finds, as Exchange finds them: the same issuer and the same subject. */
export function certificatesNamed(name: CertificateName, certificates: readonly CertificateState[]): CertificateState[] {
  const issuer = normaliseName(name.issuer);
  const subject = normaliseName(name.subject);
  return certificates.filter((c) => normaliseName(c.issuer) === issuer && normaliseName(c.subject) === subject);
}

/** Certificates whose subject is the name's, whoever issued them: the renewal a reference should follow. */
export function certificatesWithSubject(name: CertificateName, certificates: readonly CertificateState[]): CertificateState[] {
  const subject = normaliseName(name.subject);
  return certificates.filter((c) => normaliseName(c.subject) === subject);
}

/** The newest of several certificates: the one a renewal put in place. */
export function newest(certificates: readonly CertificateState[]): CertificateState | undefined {
  return [...certificates].sort((a, b) => b.notAfter.localeCompare(a.notAfter))[0];
}

/**
 * The certificate a reference should name after a renewal it missed: the
 * newest that is valid now, and from a CA unless the one named was itself
 * self-signed. A certificate not yet valid, or a self-signed one beside a
 * CA's, would break TLS with the other side if named.
 */
export function renewalFor(name: CertificateName, candidates: readonly CertificateState[], at: Date): CertificateState | undefined {
  const selfSignedNamed = isSelfSigned(name);
  const nameable = (c: CertificateState) => !/<[IS]>/i.test(c.issuer + c.subject);
  return newest(certificatesWithSubject(name, candidates).filter((c) => isCurrent(c, at) && (selfSignedNamed || !isSelfSigned(c)) && nameable(c)));
}

/** `EX01`, `ex01.contoso.com` and `EX01.CONTOSO.COM` are one server. */
export function serverKey(server: string): string {
  return server.toLowerCase().split(".")[0] ?? server.toLowerCase();
}

/**
 * Why the certificates that connectors and the hybrid configuration name
 * cannot be judged from this state, or undefined when they can: nothing
 * that names a certificate was collected, or the certificates were
 * collected from other servers than those that name them (certificates say
 * their server; a server whose certificates are missing is not one without).
 */
export function namedCertificatesUnknown(state: HybridState): string | undefined {
  const on = state.onPremises;
  if (on?.receiveConnectors === undefined && on?.sendConnectors === undefined && on?.hybridConfiguration === undefined) {
    return "nothing in the document names a certificate (it has no connectors and no hybrid configuration)";
  }
  return undefined;
}

/**
 * The references whose servers' certificates the document lacks, and why in
 * one line: the collector could not read a server's (`notCollected` with a
 * server), or the certificates say their servers and none is one of the
 * reference's (they were exported on another server). Each is left
 * unjudged; the others are judged as usual.
 */
export function referencesWithoutCertificates(state: HybridState): { references: CertificateReference[]; reason: string | undefined } {
  const gaps = new Set(
    (state.notCollected ?? [])
      .filter((n) => n.server !== undefined && (n.part === "onPremises.exchangeCertificates" || n.part === "onPremises"))
      .map((n) => serverKey(n.server!)),
  );
  const collected = new Set((state.onPremises?.exchangeCertificates ?? []).flatMap((c) => (c.server ? [serverKey(c.server)] : [])));
  const lacking = (server: string) => gaps.has(serverKey(server)) || (collected.size > 0 && !collected.has(serverKey(server)));
  const references = certificateReferences(state).filter((ref) => ref.servers.some(lacking));
  if (references.length === 0) return { references, reason: undefined };
  const missing = [...new Set(references.flatMap((ref) => ref.servers.filter(lacking).map(serverKey)))];
  const have = collected.size > 0 ? ` (it has those of ${[...collected].join(", ")})` : "";
  return {
    references,
    reason: `the document has no certificates of ${missing.join(", ")}${have}, which ${references.map((r) => r.identity).join(", ")} name`,
  };
}

/** The references whose certificates the document has: those the certificate rules judge. */
export function judgedReferences(state: HybridState): CertificateReference[] {
  const unjudged = new Set(referencesWithoutCertificates(state).references.map((r) => r.key));
  return certificateReferences(state).filter((ref) => !unjudged.has(ref.key));
}

/** Whether a certificate is valid at `at`: Exchange finds only valid certificates by a name. */
export function isCurrent(c: Pick<CertificateState, "notBefore" | "notAfter">, at: Date): boolean {
  return Date.parse(c.notAfter) > at.getTime() && (c.notBefore === undefined || Date.parse(c.notBefore) <= at.getTime());
}

/** Issued by itself: no CA vouches for it, and Exchange Online's validation refuses it. */
export function isSelfSigned(c: Pick<CertificateState, "issuer" | "subject">): boolean {
  return normaliseName(c.issuer) === normaliseName(c.subject);
}
