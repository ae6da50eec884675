import type { Settings } from "../config.js";
import { InputError } from "../errors.js";
import type { KeyVaultOptions } from "../secrets/key-vault.js";
import type { Sink } from "./alert.js";
import type { AlertConfig } from "./config.js";
import type { createTeamsSink as TeamsSinkFactory } from "./teams-webhook.js";

/**
 * The channels a tenant's configuration names, built on demand: the Graph
 * client and the Azure identity SDK are loaded only when mail (or a webhook
 * kept in Key Vault) is configured.
 */
export async function sinksFor(
  config: AlertConfig,
  settings: Pick<Settings, "mailSender" | "graphBaseUrl">,
  options: { keyVault?: KeyVaultOptions } = {},
): Promise<Sink[]> {
  const sinks: Sink[] = [];
  if (config.teams) {
    const { createTeamsSink } = await import("./teams-webhook.js");
    if ("webhookUrl" in config.teams) sinks.push(createTeamsSink({ webhookUrl: config.teams.webhookUrl }));
    else sinks.push(keptInKeyVault(config.teams.webhookSecret, options.keyVault, createTeamsSink));
  }
  if (config.mail) {
    if (!settings.mailSender) throw new InputError("mail alerts need the sending mailbox", { source: "MAILFLOW_GUARD_MAIL_SENDER" });
    const { createGraphMailSink } = await import("./graph-mail.js");
    sinks.push(createGraphMailSink({ sender: settings.mailSender, to: config.mail.to, graphBaseUrl: settings.graphBaseUrl }));
  }
  return sinks;
}

/**
 * The Teams channel of a webhook kept in Key Vault: the secret is read when
 * an alert goes out (not at every check), so a rotated secret is used from
 * the next alert, and a vault that cannot be read fails that delivery
 * (recorded, retried with the next check), never the check or the mail.
 */
function keptInKeyVault(secret: string, keyVault: KeyVaultOptions | undefined, createTeamsSink: typeof TeamsSinkFactory): Sink {
  return {
    channel: "teams",
    async deliver(alert) {
      const { readKeyVaultSecret } = await import("../secrets/key-vault.js");
      const webhookUrl = await readKeyVaultSecret(secret, "teams.webhookSecret", keyVault);
      return createTeamsSink({ webhookUrl, setting: `the Key Vault secret ${secret}` }).deliver(alert);
    },
  };
}
