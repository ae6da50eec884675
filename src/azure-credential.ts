import type { TokenCredential } from "@azure/identity";

/**
 * DefaultAzureCredential (the function app's managed identity, named by
 * AZURE_CLIENT_ID when user-assigned; or AZURE_TENANT_ID, AZURE_CLIENT_ID and
 * AZURE_CLIENT_SECRET), loaded when first asked: @azure/identity is large,
 * and a test or the CLI may never need it.
 */
export function defaultCredential(): TokenCredential {
  let credential: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes, options) {
      credential ??= import("@azure/identity").then(({ DefaultAzureCredential }) => new DefaultAzureCredential());
      return (await credential).getToken(scopes, options);
    },
  };
}
