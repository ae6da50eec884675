import type { TokenCredential } from "@azure/identity";
import { z } from "zod";
import { defaultCredential } from "../azure-credential.js";
import { HttpError, MailflowGuardError, oneLine, redactUrls } from "../errors.js";
import { createHttpClient } from "../http/client.js";
import { GRAPH_RETRY } from "../http/retry.js";
import { parseSecretUri } from "./secret-uri.js";

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
