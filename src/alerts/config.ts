import { z } from "zod";
import { InputError, StateStoreError } from "../errors.js";
import { isSecureOrLoopback } from "../http/loopback.js";
import type { StateStore } from "../state/store.js";
import { validate } from "../validation.js";

/**
 * Where a tenant's alerts go. The webhook URL carries its signature in the
 * query: it is a secret, kept in the state store and never shown back.
 */
export const alertConfigSchema = z.strictObject({
  teams: z
    .strictObject({
      webhookUrl: z
        .string()
        .refine(isSecureOrLoopback, { message: "expected the https URL of a Workflows webhook (http only to a loopback address)" }),
    })
    .optional(),
  mail: z
    .strictObject({ to: z.array(z.email({ message: "expected a mail address" })).min(1, { message: "expected at least one recipient" }) })
    .optional(),
});

export type AlertConfig = z.infer<typeof alertConfigSchema>;

export async function loadAlertConfig(store: StateStore, tenant: string): Promise<AlertConfig | undefined> {
  const doc = await store.get("alert-config", tenant);
  if (!doc) return undefined;
  try {
    return validate(alertConfigSchema, doc.value, `stored alert configuration of ${tenant}`);
  } catch (error) {
    if (error instanceof InputError) throw new StateStoreError(error.message, { cause: error });
    throw error;
  }
}

export async function saveAlertConfig(store: StateStore, tenant: string, config: AlertConfig): Promise<void> {
  await store.put("alert-config", tenant, config);
}

/** The configuration as it may be shown: which channels, never the webhook URL. */
export function describeAlertConfig(config: AlertConfig | undefined): { teams: boolean; mailTo: string[] } {
  return { teams: config?.teams !== undefined, mailTo: config?.mail?.to ?? [] };
}
