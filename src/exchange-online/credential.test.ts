import { ClientCertificateCredential, ManagedIdentityCredential } from "@azure/identity";
import { describe, expect, it } from "vitest";
import { InputError } from "../errors.js";
import { exchangeOnlineCredential } from "./credential.js";

const CLIENT_ID = "6f1d2c0e-4b8a-4e3f-9d21-7a5c0b8e1f34";
const IDENTITY_ID = "0c9b7a65-4d3e-4f21-8a0b-1c2d3e4f5a6b";
// Never parsed here: the credential reads it when it is first asked for a token, and these tests ask for none.
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

describe("exchangeOnlineCredential", () => {
  it("makes one certificate credential per customer tenant and keeps it", () => {
    const credentialFor = exchangeOnlineCredential({ clientId: CLIENT_ID, certificate: { pem: PEM } });

    const contoso = credentialFor("contoso.onmicrosoft.com");

    expect(contoso).toBeInstanceOf(ClientCertificateCredential);
    expect(credentialFor("Contoso.onmicrosoft.com")).toBe(contoso);
    expect(credentialFor("fabrikam.onmicrosoft.com")).not.toBe(contoso);
    expect(credentialFor("fabrikam.onmicrosoft.com")).toBe(credentialFor("fabrikam.onmicrosoft.com"));
  });

  it("takes the certificate from a file path", () => {
    const credentialFor = exchangeOnlineCredential({ clientId: CLIENT_ID, certificate: { path: "/secrets/exchange-online.pem" } });

    expect(credentialFor("2f1e0c3a-7b4d-4e8f-9a61-5c2d8e0b7a14")).toBeInstanceOf(ClientCertificateCredential);
  });

  it("gives the one managed identity for every tenant", () => {
    const credentialFor = exchangeOnlineCredential({ clientId: CLIENT_ID, managedIdentityClientId: IDENTITY_ID });

    const home = credentialFor("contoso.onmicrosoft.com");

    expect(home).toBeInstanceOf(ManagedIdentityCredential);
    expect(credentialFor("fabrikam.onmicrosoft.com")).toBe(home);
  });

  it("refuses options that name no way, or two ways, to sign in, or are malformed", () => {
    const cases: [Parameters<typeof exchangeOnlineCredential>[0], string][] = [
      [{ clientId: CLIENT_ID }, "either a certificate or a managed identity's client id"],
      [{ clientId: CLIENT_ID, certificate: { pem: PEM }, managedIdentityClientId: IDENTITY_ID }, "not both or neither"],
      [{ clientId: "exchange-app", certificate: { pem: PEM } }, "clientId: expected the app's client id, a GUID"],
      [{ clientId: CLIENT_ID, certificate: { pem: "MIIB" } }, "certificate: expected { pem } with the PEM text"],
      [{ clientId: CLIENT_ID, certificate: { path: " " } }, "certificate: expected { pem }"],
      [{ clientId: CLIENT_ID, managedIdentityClientId: "mi" }, "managedIdentityClientId: expected the managed identity's client id"],
    ];
    for (const [options, message] of cases) {
      expect(() => exchangeOnlineCredential(options)).toThrow(InputError);
      expect(() => exchangeOnlineCredential(options)).toThrow(message);
    }
  });

  it("refuses a tenant id the admin endpoint would not take", () => {
    const credentialFor = exchangeOnlineCredential({ clientId: CLIENT_ID, certificate: { pem: PEM } });

    expect(() => credentialFor("contoso.com")).toThrow("is not a tenant id");
  });
});
