import { ClientCertificateCredential, ManagedIdentityCredential, type TokenCredential } from "@azure/identity";
import { InputError } from "../errors.js";
import { GUID } from "../ids.js";
import { parseTenantId } from "./admin-api.js";

export interface ExchangeOnlineCredentialOptions {
  /** The application (client) id of the app registration that holds the certificate (a managed identity is its own app). */
  clientId: string;
  /** The app's certificate with its private key, PEM: the text or a file. */
  certificate?: { pem: string } | { path: string };
  /** A user-assigned managed identity's client id, instead of a certificate. */
  managedIdentityClientId?: string;
}

const WHERE = "the Exchange Online credential";

/**
 * The credential for each customer tenant, for `createExchangeOnlineClient`. With a certificate, the multi-tenant
 * app signs in to each customer tenant itself (a ClientCertificateCredential is bound to one tenant), so there is
 * one per tenant, made when first asked for and kept. A managed identity signs in to its home tenant only: the
 * same credential is returned for every tenant id, and its tokens serve the home tenant alone.
 *
 * @example
 * const credential = exchangeOnlineCredential({ clientId: "6f1d2c0e-…", certificate: { path: "/secrets/exo.pem" } });
 * createExchangeOnlineClient({ baseUrl: DEFAULT_EXCHANGE_ONLINE_BASE_URL, credential });
 */
export function exchangeOnlineCredential(options: ExchangeOnlineCredentialOptions): (tenantId: string) => TokenCredential {
  const { clientId, certificate, managedIdentityClientId } = options;
  if (typeof clientId !== "string" || !GUID.test(clientId))
    throw new InputError("expected the app's client id, a GUID", { source: WHERE, path: "clientId" });
  if ((certificate === undefined) === (managedIdentityClientId === undefined))
    throw new InputError("expected either a certificate or a managed identity's client id, not both or neither", { source: WHERE });

  if (certificate === undefined) {
    if (typeof managedIdentityClientId !== "string" || !GUID.test(managedIdentityClientId))
      throw new InputError("expected the managed identity's client id, a GUID", { source: WHERE, path: "managedIdentityClientId" });
    const identity = new ManagedIdentityCredential({ clientId: managedIdentityClientId });
    return (tenantId) => {
      parseTenantId(tenantId);
      return identity;
    };
  }

  const make = certificateCredential(certificate, clientId);
  const perTenant = new Map<string, TokenCredential>();
  return (tenantId) => {
    const tenant = parseTenantId(tenantId);
    let credential = perTenant.get(tenant);
    if (credential === undefined) {
      credential = make(tenant);
      perTenant.set(tenant, credential);
    }
    return credential;
  };
}

function certificateCredential(certificate: { pem: string } | { path: string }, clientId: string): (tenant: string) => TokenCredential {
  if ("pem" in certificate && typeof certificate.pem === "string" && certificate.pem.includes("-----BEGIN")) {
    const { pem } = certificate;
    return (tenant) => new ClientCertificateCredential(tenant, clientId, { certificate: pem });
  }
  if ("path" in certificate && typeof certificate.path === "string" && certificate.path.trim() !== "") {
    const { path } = certificate;
    return (tenant) => new ClientCertificateCredential(tenant, clientId, { certificatePath: path });
  }
  throw new InputError("expected { pem } with the PEM text (certificate and private key) or { path } of a PEM file", {
    source: WHERE,
    path: "certificate",
  });
}
