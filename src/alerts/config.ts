import { z } from "zod";
import type { Severity } from "../core/finding.js";
import { DEFAULT_CERTIFICATE_DAYS, DEFAULT_STALE_EVIDENCE_HOURS } from "../core/observations.js";
import { DamagedDocumentError, InputError } from "../errors.js";
import { isSecureOrLoopback } from "../http/loopback.js";
import { parseSecretUri } from "../secrets/secret-uri.js";
import type { StateStore } from "../state/store.js";
import { validate } from "../validation.js";

export const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;
const SEVERITIES = ["info", "warning", "error"] as const satisfies readonly Severity[];
/** With the daily check, a day and a half: one missed run is news, a late one is not. */
export const DEFAULT_STALE_RUN_HOURS = 36;
const MAX_STALE_HOURS = 24 * 31;

/** When a scheduled message goes out: an hour of the day in UTC, and for weekly ones a day of the week. */
const slotFields = {
  hour: z.number().int().min(0).max(23, { message: "expected an hour from 0 to 23 (UTC)" }).default(7),
  weekday: z.enum(WEEKDAYS, { message: `expected a day of the week: ${WEEKDAYS.join(", ")}` }).default("monday"),
};

const SECRET_URI_EXPECTED = "expected a Key Vault secret identifier such as https://kv-contoso.vault.azure.net/secrets/teams-webhook";

function isSecretUri(text: string): boolean {
  try {
    parseSecretUri(text, "teams.webhookSecret");
    return true;
  } catch {
    return false;
  }
}

/**
 * Where a tenant's alerts go, what else is sent on a schedule, and the
 * thresholds. The webhook URL carries its signature in the
 * query: it is a secret, kept in the state store and never shown back.
 */
export const alertConfigSchema = z.strictObject({
  /** The Workflows webhook's URL, or the Key Vault secret that holds it (read with the app's identity when an alert is posted). */
  teams: z
    .union(
      [
        z.strictObject({
          webhookUrl: z
            .string()
            .refine(isSecureOrLoopback, { message: "expected the https URL of a Workflows webhook (http only to a loopback address)" }),
        }),
        z.strictObject({ webhookSecret: z.string().refine(isSecretUri, { message: SECRET_URI_EXPECTED }) }),
      ],
      { message: 'expected {"webhookUrl": "https://…"} or {"webhookSecret": "https://<vault>.vault.azure.net/secrets/<name>"}' },
    )
    .optional(),
  mail: z
    .strictObject({ to: z.array(z.email({ message: "expected a mail address" })).min(1, { message: "expected at least one recipient" }) })
    .optional(),
  /** A summary of what is still open, daily or weekly; sent only when something is. */
  digest: z.strictObject({ every: z.enum(["day", "week"], { message: 'expected "day" or "week"' }), ...slotFields }).optional(),
  /** A weekly word that every scheduled check ran (or which did not), so that silence is never mistaken for health. */
  heartbeat: z.strictObject(slotFields).optional(),
  thresholds: z
    .strictObject({
      /** Findings below this severity are kept and reported, but never alert. */
      minSeverity: z.enum(SEVERITIES, { message: `expected ${SEVERITIES.map((s) => JSON.stringify(s)).join(", ")}` }).optional(),
      /** A `stale-run` alert goes out when no check of the tenant has completed for longer than this. */
      staleRunAfterHours: z
        .number()
        .int()
        .min(1, { message: "expected whole hours, at least 1" })
        .max(MAX_STALE_HOURS, { message: `expected at most ${MAX_STALE_HOURS} hours` })
        .optional(),
      /** A `state-document-stale` finding when the evidence a check judges (the state document, its probes) is older than this. */
      staleEvidenceHours: z
        .number()
        .int()
        .min(1, { message: "expected whole hours, at least 1" })
        .max(MAX_STALE_HOURS, { message: `expected at most ${MAX_STALE_HOURS} hours` })
        .optional(),
      /** Days before a named certificate expires at which it is reported (each crossing alerts again). */
      certificateDays: z
        .array(z.number().int().min(1, { message: "expected whole days, at least 1" }).max(365, { message: "expected at most 365 days" }))
        .min(1, { message: "expected at least one number of days" })
        .max(8, { message: "expected at most 8 thresholds" })
        .optional(),
    })
    .optional(),
});

export type AlertConfig = z.infer<typeof alertConfigSchema>;
/** When a scheduled message goes out; `weekday` counts only for weekly ones. */
export type Slot = NonNullable<AlertConfig["heartbeat"]>;

/** The thresholds in force, defaults filled in. */
export function thresholdsOf(config: AlertConfig | undefined): {
  minSeverity: Severity;
  staleRunAfterHours: number;
  staleEvidenceHours: number;
  certificateDays: number[];
} {
  return {
    minSeverity: config?.thresholds?.minSeverity ?? "info",
    staleRunAfterHours: config?.thresholds?.staleRunAfterHours ?? DEFAULT_STALE_RUN_HOURS,
    staleEvidenceHours: config?.thresholds?.staleEvidenceHours ?? DEFAULT_STALE_EVIDENCE_HOURS,
    certificateDays: config?.thresholds?.certificateDays ?? [...DEFAULT_CERTIFICATE_DAYS],
  };
}

export async function loadAlertConfig(store: StateStore, tenant: string): Promise<AlertConfig | undefined> {
  const doc = await store.get("alert-config", tenant);
  if (!doc) return undefined;
  try {
    return validate(alertConfigSchema, doc.value, `stored alert configuration of ${tenant}`);
  } catch (error) {
    if (error instanceof InputError) throw new DamagedDocumentError(error.message, { cause: error });
    throw error;
  }
}

export async function saveAlertConfig(store: StateStore, tenant: string, config: AlertConfig): Promise<void> {
  await store.put("alert-config", tenant, config);
}

/** The configuration as it may be shown: which channels (never the webhook URL), the schedules and the thresholds. */
export function describeAlertConfig(config: AlertConfig | undefined) {
  return {
    teams: config?.teams !== undefined,
    // The secret's identifier says where the URL is kept, not the URL: it may be shown.
    ...(config?.teams && "webhookSecret" in config.teams ? { teamsWebhookSecret: config.teams.webhookSecret } : {}),
    mailTo: config?.mail?.to ?? [],
    digest: config?.digest,
    heartbeat: config?.heartbeat,
    thresholds: thresholdsOf(config),
  };
}
