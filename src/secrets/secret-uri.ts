import { InputError } from "../errors.js";
import { isLoopback } from "../http/loopback.js";

/** Key Vault's hosts in each cloud; the token's scope is `https://{suffix}/.default`. */
const VAULT_SUFFIXES = ["vault.azure.net", "vault.azure.cn", "vault.usgovcloudapi.net", "vault.microsoftazure.de"] as const;

/**
 * `https://{vault}.vault.azure.net/secrets/{name}` with an optional
 * `/{version}`, as the portal shows a secret's identifier (http only on
 * loopback, for the tests' stand-in).
 */
export function parseSecretUri(text: string, setting: string): { url: URL; scope: string } {
  const bad = () =>
    new InputError("expected a Key Vault secret identifier such as https://kv-contoso.vault.azure.net/secrets/teams-webhook", {
      source: "alert config",
      path: setting,
    });
  if (!URL.canParse(text)) throw bad();
  const url = new URL(text);
  const path = /^\/secrets\/[0-9A-Za-z-]{1,127}(?:\/[0-9a-f]{32})?\/?$/;
  if (url.search !== "" || url.hash !== "" || url.username !== "" || !path.test(url.pathname)) throw bad();
  const suffix = VAULT_SUFFIXES.find((s) => url.hostname.endsWith(`.${s}`));
  if (url.protocol === "https:" && suffix) return { url, scope: `https://${suffix}/.default` };
  if (url.protocol === "http:" && isLoopback(url.hostname)) return { url, scope: `https://${VAULT_SUFFIXES[0]}/.default` };
  throw bad();
}
