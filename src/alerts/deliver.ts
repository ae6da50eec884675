import { z } from "zod";
import { loadArtifacts } from "../check/report-store.js";
import { oneLine } from "../errors.js";
import { remediationScript } from "../outputs/remediation-script.js";
import type { StateStore } from "../state/store.js";
import type { Alert, Sink } from "./alert.js";

/** After this many runs an alert that could not be delivered stays failed: the findings have moved on. */
export const MAX_ALERT_RUNS = 7;

const deliverySchema = z.object({
  channel: z.string(),
  at: z.string(),
  status: z.enum(["delivered", "failed"]),
  attempts: z.number().int().nonnegative(),
  error: z.string().optional(),
});

/** One alert as sent: every delivery per channel, the channels still owed it, and how many runs tried. */
const alertRecordSchema = z.object({
  alert: z.custom<Alert>((v) => typeof v === "object" && v !== null && typeof (v as { id?: unknown }).id === "string"),
  deliveries: z.array(deliverySchema),
  pending: z.array(z.string()),
  runsTried: z.number().int().nonnegative(),
});

export type AlertRecord = z.infer<typeof alertRecordSchema>;

/**
 * Sends an alert on every channel and records each delivery. A failing
 * channel never stops the others, never fails the check, and is tried again
 * by the next runs (see retryPending).
 */
export async function sendAlert(store: StateStore, alert: Alert, sinks: readonly Sink[], now: () => Date): Promise<AlertRecord> {
  const record: AlertRecord = { alert: withoutScript(alert), deliveries: [], pending: [], runsTried: 1 };
  await deliverTo(record, alert, sinks, now);
  await store.put("alert", alert.id, record);
  return record;
}

/**
 * Tries once more, on the channels that failed, every earlier alert of the
 * tenant still owed to some channel: at most once per alert per run, and for
 * MAX_ALERT_RUNS runs at most. The script is read again from the run's outputs.
 */
export async function retryPending(
  store: StateStore,
  tenant: string,
  sinks: readonly Sink[],
  now: () => Date,
  log: (line: string) => void,
): Promise<AlertRecord[]> {
  const retried: AlertRecord[] = [];
  for (const key of await store.list("alert", { prefix: `${tenant}/` })) {
    const doc = await store.get("alert", key);
    const parsed = doc && alertRecordSchema.safeParse(doc.value);
    if (!doc || !parsed?.success) {
      log(`ignored the stored alert ${key}: not an alert record`);
      continue;
    }
    const record = parsed.data;
    if (record.pending.length === 0 || record.runsTried >= MAX_ALERT_RUNS) continue;
    const owed = sinks.filter((s) => record.pending.includes(s.channel));
    if (owed.length === 0) continue;
    record.runsTried++;
    record.pending = record.pending.filter((c) => !owed.some((s) => s.channel === c));
    const artifacts = await loadArtifacts(store, record.alert.tenant, record.alert.runId).catch(() => undefined);
    await deliverTo(record, { ...record.alert, script: artifacts?.[remediationScript.file] }, owed, now);
    await store
      .put("alert", key, record, { ifMatch: doc.etag })
      .catch((error: unknown) => log(`could not record the retry of alert ${key}: ${oneLine(error)}`));
    retried.push(record);
  }
  return retried;
}

/** Sends `alert` on each sink and records every delivery, and the channels still owed it, on `record`. */
async function deliverTo(record: AlertRecord, alert: Alert, sinks: readonly Sink[], now: () => Date): Promise<void> {
  for (const sink of sinks) {
    try {
      const { attempts } = await sink.deliver(alert);
      record.deliveries.push({ channel: sink.channel, at: now().toISOString(), status: "delivered", attempts });
    } catch (error) {
      const attempts = Number((error as { attempts?: unknown }).attempts) || 1;
      record.deliveries.push({ channel: sink.channel, at: now().toISOString(), status: "failed", attempts, error: oneLine(error) });
      record.pending.push(sink.channel);
    }
  }
}

/** The script can be megabytes; the stored alert refers to the run's outputs instead. */
function withoutScript(alert: Alert): Alert {
  const { script: _, ...rest } = alert;
  return rest;
}
