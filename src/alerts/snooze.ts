import { z } from "zod";
import { InputError } from "../errors.js";
import { retryOnConflict, type StateStore } from "../state/store.js";
import { hasUnsafeCharacters, UNSAFE_CHARACTERS, validate } from "../validation.js";
import type { Snooze } from "./alert.js";
import { type FindingState, loadFindingState, saveFindingState } from "./finding-state.js";

const text = (what: string) =>
  z
    .string()
    .trim()
    .min(1, { message: `expected ${what}` })
    .max(500, { message: `expected ${what} of at most 500 characters` })
    .refine((t) => !hasUnsafeCharacters(t), { message: `must not contain ${UNSAFE_CHARACTERS}` });

/** A snooze as an admin asks for it, from the command line or over HTTP. */
export const snoozeRequestSchema = z.strictObject({
  finding: z.string().min(1, { message: "expected the id of an open finding (see alerts list)" }),
  reason: text("a reason"),
  by: text("who snoozes it"),
  until: z.iso.datetime({ offset: true, message: "expected an ISO 8601 time such as 2026-12-08T06:00:00Z" }),
});

export type SnoozeRequest = z.infer<typeof snoozeRequestSchema>;

/**
 * Snoozes an open finding: it sends no alert until `until`, or until its
 * substance changes (the snooze holds for the digest it was given for). When
 * the snooze ends with the finding still open, the next check alerts once
 * more: it counts as not told.
 */
export async function snoozeFinding(store: StateStore, tenant: string, request: unknown, now: Date, source: string): Promise<Snooze> {
  const asked = validate(snoozeRequestSchema, request, source);
  if (Date.parse(asked.until) <= now.getTime()) throw new InputError(`until ${asked.until} has passed; expected a time in the future`, { source });
  return retryOnConflict(async () => {
    const { state, etag } = await loadFindingState(store, tenant);
    // Finding ids come from the caller: only the state's own entries, never what objects inherit (`constructor`).
    const open = state && Object.hasOwn(state.open, asked.finding) ? state.open[asked.finding] : undefined;
    if (!state || !open) throw notOpen(tenant, asked.finding, state, source);
    const snooze: Snooze = { reason: asked.reason, by: asked.by, until: new Date(asked.until).toISOString(), digest: open.finding.digest };
    const untold = { ...open, alertedDigest: undefined };
    await saveFindingState(
      store,
      { ...state, open: { ...state.open, [asked.finding]: untold }, snoozes: { ...state.snoozes, [asked.finding]: snooze } },
      etag,
    );
    return snooze;
  });
}

/** Ends a snooze; false when there was none. */
export async function unsnoozeFinding(store: StateStore, tenant: string, findingId: string): Promise<boolean> {
  return retryOnConflict(async () => {
    const { state, etag } = await loadFindingState(store, tenant);
    if (!state || !Object.hasOwn(state.snoozes, findingId)) return false;
    const { [findingId]: _, ...rest } = state.snoozes;
    await saveFindingState(store, { ...state, snoozes: rest }, etag);
    return true;
  });
}

/** The tenant's open findings as the last check left them, each with its snooze. */
export async function openFindings(store: StateStore, tenant: string) {
  const { state } = await loadFindingState(store, tenant);
  return Object.entries(state?.open ?? {}).map(([id, entry]) => ({
    id,
    rule: entry.finding.rule,
    severity: entry.finding.severity,
    subject: entry.finding.subject,
    summary: entry.finding.summary,
    since: entry.since,
    snooze: state && Object.hasOwn(state.snoozes, id) ? state.snoozes[id] : undefined,
  }));
}

function notOpen(tenant: string, id: string, state: FindingState | undefined, source: string): InputError {
  const ids = Object.keys(state?.open ?? {});
  const known = ids.length === 0 ? "it has none open" : `open: ${ids.map((i) => JSON.stringify(i)).join(", ")}`;
  return new InputError(`${tenant} has no open finding ${JSON.stringify(id)} (${known})`, { source });
}
