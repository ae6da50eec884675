import type { TokenCredential } from "@azure/identity";
import { z } from "zod";
import { defaultCredential } from "../azure-credential.js";
import { HttpError, InputError, MailflowGuardError, oneLine, redactUrls } from "../errors.js";
import { createHttpClient } from "../http/client.js";
import { isLoopback } from "../http/loopback.js";
import { GRAPH_RETRY } from "../http/retry.js";

/** Key Vault's hosts in each cloud; the token's scope is `https://{suffix}/.default`. */
const VAULT_SUFFIXES = ["vault.azure.net", "vault.azure.cn", "vault.usgovcloudapi.net", "vault.microsoftazure.de"] as const;
const API_VERSION = "7.4";
const SERVICE = "Key Vault";

export interface KeyVaultOptions {
  /** Default DefaultAzureCredential: the app's managed identity, with Key Vault Secrets User on the vault. */
  credential?: TokenCredential;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

const secretSchema = z.object({ value: z.string().min(1, { message: "expected the secret's value" }) });

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

/**
 * Reads one secret's current value (or the version the identifier names)
 * through the product's HTTP client: `GET {secret}?api-version=7.4` with a
 * token for the vault's cloud. The value is never part of an error.
 */
export async function readKeyVaultSecret(secretUri: string, setting: string, options: KeyVaultOptions = {}): Promise<string> {
  const { url, scope } = parseSecretUri(secretUri, setting);
  const where = `${url.origin}${url.pathname}`;
  const credential = options.credential ?? defaultCredential();
  let token: string | undefined;
  try {
    token = (await credential.getToken(scope))?.token;
  } catch (error) {
    throw new MailflowGuardError(`could not get a token for ${SERVICE} to read ${where}: ${redactUrls(oneLine(error))}`, { cause: error });
  }
  if (!token) throw new MailflowGuardError(`the credential gave no token for ${SERVICE} to read ${where}`);
  const http = createHttpClient({
    baseUrl: where,
    service: SERVICE,
    retry: GRAPH_RETRY,
    fetch: options.fetch,
    sleep: options.sleep,
    headers: { authorization: `Bearer ${token}` },
    secrets: [token],
    maxResponseBytes: 64 * 1024,
  });
  try {
    const body = (await http.request({ query: { "api-version": API_VERSION }, headers: { accept: "application/json" } })).json();
    const parsed = secretSchema.safeParse(body);
    if (!parsed.success) throw new MailflowGuardError(`${SERVICE} answered for ${where} without a secret value`);
    return parsed.data.value;
  } catch (error) {
    if (error instanceof HttpError && ADVICE[error.status])
      throw new MailflowGuardError(`${error.message}; ${ADVICE[error.status]}`, { cause: error });
    throw error;
  }
}

const ADVICE: Record<number, string> = {
  401: "the vault did not accept the app's token",
  403: "give the app's identity Key Vault Secrets User on the vault (the deployment's rbac.bicep does)",
  404: "no such secret, or it was deleted: store the webhook URL under this name",
};
