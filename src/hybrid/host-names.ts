/** Host names as certificates and connectors carry them, and how one covers another. */

export const HOST_NAME = /^(?:\*\.)?[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** `Mail.Contoso.com.` → `mail.contoso.com`. */
export function hostKey(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, "");
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
export function certificateMatchesDomain(cert: { readonly names: readonly string[] }, domain: string): boolean {
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
