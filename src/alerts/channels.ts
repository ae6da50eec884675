import type { Settings } from "../config.js";
import { InputError } from "../errors.js";
import type { KeyVaultOptions } from "../secrets/key-vault.js";
import type { Sink } from "./alert.js";
import type { AlertConfig } from "./config.js";

/**
 * The channels a tenant's configuration names, built on demand: the Graph
 * client and the Azure identity SDK are loaded only when mail (or a webhook
 * kept in Key Vault) is configured. A webhook in Key Vault is read at each
 * check, so a rotated secret is used from the next one.
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
    else {
      const { readKeyVaultSecret } = await import("../secrets/key-vault.js");
      const secret = config.teams.webhookSecret;
      try {
        const webhookUrl = await readKeyVaultSecret(secret, "teams.webhookSecret", options.keyVault);
        sinks.push(createTeamsSink({ webhookUrl, setting: `the Key Vault secret ${secret}` }));
      } catch (error) {
        // The vault unreachable fails this channel's delivery (recorded, retried with the next check), never the check or the mail.
        sinks.push(unavailable("teams", error));
      }
    }
  }
  if (config.mail) {
    if (!settings.mailSender) throw new InputError("mail alerts need the sending mailbox", { source: "MAILFLOW_GUARD_MAIL_SENDER" });
    const { createGraphMailSink } = await import("./graph-mail.js");
    sinks.push(createGraphMailSink({ sender: settings.mailSender, to: config.mail.to, graphBaseUrl: settings.graphBaseUrl }));
  }
  return sinks;
}

/** A channel that could not be set up: each delivery fails with why, as a delivery that failed on the wire would. */
function unavailable(channel: string, error: unknown): Sink {
  return {
    channel,
    deliver: async () => {
      throw error;
    },
  };
}
