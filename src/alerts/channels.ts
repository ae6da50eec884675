import type { Settings } from "../config.js";
import { InputError } from "../errors.js";
import type { Sink } from "./alert.js";
import type { AlertConfig } from "./config.js";

/**
 * The channels a tenant's configuration names, built on demand: the Graph
 * client and the Azure identity SDK are loaded only when mail is configured.
 */
export async function sinksFor(config: AlertConfig, settings: Pick<Settings, "mailSender" | "graphBaseUrl">): Promise<Sink[]> {
  const sinks: Sink[] = [];
  if (config.teams) {
    const { createTeamsSink } = await import("./teams-webhook.js");
    sinks.push(createTeamsSink({ webhookUrl: config.teams.webhookUrl }));
  }
  if (config.mail) {
    if (!settings.mailSender) throw new InputError("mail alerts need the sending mailbox", { source: "MAILFLOW_GUARD_MAIL_SENDER" });
    const { createGraphMailSink } = await import("./graph-mail.js");
    sinks.push(createGraphMailSink({ sender: settings.mailSender, to: config.mail.to, graphBaseUrl: settings.graphBaseUrl }));
  }
  return sinks;
}
