import type { TokenCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failure, inputError } from "../../test/support/failure.js";
import { type KeyVaultStandIn, startKeyVaultStandIn } from "../../test/support/key-vault-stand-in.js";
import { startTeamsStandIn, type TeamsStandIn } from "../../test/support/teams-stand-in.js";
import { sinksFor } from "../alerts/channels.js";
import { alertConfigSchema, describeAlertConfig } from "../alerts/config.js";
import { readKeyVaultSecret } from "./key-vault.js";
import { parseSecretUri } from "./secret-uri.js";

const TOKEN = "kv-token-7d2e91c4-secret";
let vault: KeyVaultStandIn;
let teams: TeamsStandIn;
const scopes: string[] = [];
const credential: TokenCredential = {
  async getToken(scope) {
    scopes.push(...[scope].flat());
    return { token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};

beforeAll(async () => {
  teams = await startTeamsStandIn();
  vault = await startKeyVaultStandIn({ token: TOKEN, secrets: { "teams-contoso": teams.url }, forbidden: ["teams-fabrikam"] });
});
afterAll(async () => {
  await vault.close();
  await teams.close();
});

describe("Key Vault secrets", () => {
  it("reads a secret's value with a token for the vault's cloud, as Key Vault's REST API asks", async () => {
    expect(await readKeyVaultSecret(`${vault.url}/secrets/teams-contoso`, "teams.webhookSecret", { credential })).toBe(teams.url);
    expect(vault.requests.at(-1)).toEqual({ path: "/secrets/teams-contoso", query: { "api-version": "7.4" }, authorization: `Bearer ${TOKEN}` });
    expect(scopes.at(-1)).toBe("https://vault.azure.net/.default");
    expect(parseSecretUri("https://kv-x.vault.azure.cn/secrets/teams/0123456789abcdef0123456789abcdef", "s").scope).toBe(
      "https://vault.azure.cn/.default",
    );
  });

  it("says what to do when the identity may not read it, or it does not exist, without the token", async () => {
    const forbidden = await failure(
      readKeyVaultSecret(`${vault.url}/secrets/teams-fabrikam`, "teams.webhookSecret", { credential, sleep: async () => {} }),
    );
    expect(forbidden.message).toMatch(/403.*give the app's identity Key Vault Secrets User on the vault/);
    const missing = await failure(
      readKeyVaultSecret(`${vault.url}/secrets/teams-nobody`, "teams.webhookSecret", { credential, sleep: async () => {} }),
    );
    expect(missing.message).toMatch(/404.*no such secret, or it was deleted/);
    for (const error of [forbidden, missing]) {
      expect(error.message).not.toContain(TOKEN);
      expect(error.message.split("\n")).toHaveLength(1);
    }
  });

  it.each([
    "https://kv-contoso.vault.azure.net/keys/teams",
    "https://kv-contoso.vault.azure.net/secrets/teams?api-version=7.4",
    "https://kv-contoso.example.com/secrets/teams",
    "http://kv-contoso.vault.azure.net/secrets/teams",
    "not a url",
  ])("refuses %j as a secret identifier, in one line naming the field", (text) => {
    expect(inputError(() => parseSecretUri(text, "teams.webhookSecret")).message).toBe(
      "alert config: teams.webhookSecret: expected a Key Vault secret identifier such as https://kv-contoso.vault.azure.net/secrets/teams-webhook",
    );
  });
});

describe("a Teams webhook kept in Key Vault", () => {
  it("is configured by its secret's identifier, shown as such, and read when an alert is posted", async () => {
    const config = alertConfigSchema.parse({ teams: { webhookSecret: `${vault.url}/secrets/teams-contoso` } });
    expect(describeAlertConfig(config)).toMatchObject({ teams: true, teamsWebhookSecret: `${vault.url}/secrets/teams-contoso` });
    const [sink] = await sinksFor(config, { mailSender: undefined, graphBaseUrl: "https://graph.microsoft.com/v1.0" }, { keyVault: { credential } });
    expect(sink?.channel).toBe("teams");
    const before = teams.requests.length;
    await sink!.deliver({
      id: "contoso.onmicrosoft.com/run",
      tenant: "contoso.onmicrosoft.com",
      runId: "run",
      instance: "Worldwide",
      at: "2026-12-01T06:00:00.000Z",
      headline: "Drift: 1 finding needs attention.",
      transitions: [],
    });
    expect(teams.requests.length).toBe(before + 1);
  });

  it("fails only the Teams delivery, with the vault's reason, when the secret cannot be read", async () => {
    const config = alertConfigSchema.parse({ teams: { webhookSecret: `${vault.url}/secrets/teams-fabrikam` }, mail: { to: ["admin@contoso.com"] } });
    const sinks = await sinksFor(
      config,
      { mailSender: "guard@contoso.com", graphBaseUrl: "https://graph.microsoft.com/v1.0" },
      { keyVault: { credential, sleep: async () => {} } },
    );
    expect(sinks.map((s) => s.channel)).toEqual(["teams", "mail"]);
    const error = await failure(
      sinks[0]!.deliver({
        id: "x/r",
        tenant: "x",
        runId: "r",
        instance: "Worldwide",
        at: "2026-12-01T06:00:00.000Z",
        headline: "h",
        transitions: [],
      }),
    );
    expect(error.message).toMatch(/403.*Key Vault Secrets User/);
  });

  it("refuses both a URL and a secret, or neither, in one line", () => {
    const both = alertConfigSchema.safeParse({ teams: { webhookUrl: teams.url, webhookSecret: `${vault.url}/secrets/teams-contoso` } });
    expect(both.success).toBe(false);
    expect(alertConfigSchema.safeParse({ teams: {} }).error?.issues[0]?.message).toBe(
      'expected {"webhookUrl": "https://…"} or {"webhookSecret": "https://<vault>.vault.azure.net/secrets/<name>"}',
    );
    expect(alertConfigSchema.safeParse({ teams: { webhookSecret: "https://kv.example.com/secrets/x" } }).success).toBe(false);
  });
});
