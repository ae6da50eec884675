import { describe, expect, it } from "vitest";
import { finding } from "../core/finding.js";
import type { FindingState } from "./finding-state.js";
import { classify } from "./transitions.js";

const missing = (ranges: string[], name = "EX01\\Inbound from Office 365") =>
  finding({
    rule: "missing-eop-range",
    severity: "error",
    subject: { kind: "receive-connector", name },
    ranges,
    summary: `Receive connector ${name} lacks ${ranges.join(", ")}.`,
    impact: "Mail from EOP turns anonymous.",
    evidence: {},
  });

const day = (n: number) => new Date(Date.UTC(2026, 10, n, 6));
const run = (n: number, canAlert = true) => ({ tenant: "contoso.onmicrosoft.com", runId: `run-${n}`, at: day(n), canAlert });

/** Runs the checks in order, each against the state the one before left. */
function sequence(steps: { findings: ReturnType<typeof missing>[]; canAlert?: boolean; edit?: (s: FindingState) => void }[]) {
  let state: FindingState | undefined;
  return steps.map((step, i) => {
    if (state && step.edit) step.edit(state);
    const result = classify(state, step.findings, run(i + 1, step.canAlert ?? true));
    state = result.next;
    return result.transitions.map((t) => `${t.kind}${t.alert ? " alert" : ""}`);
  });
}

describe("classify", () => {
  it("alerts once for new drift, not for the same drift again, once when it is resolved, and then never", () => {
    const drift = missing(["52.100.0.0/14"]);
    expect(sequence([{ findings: [drift] }, { findings: [drift] }, { findings: [] }, { findings: [] }])).toEqual([
      ["new alert"],
      ["unchanged"],
      ["resolved alert"],
      [],
    ]);
  });

  it("alerts again when the same finding's substance changes", () => {
    expect(sequence([{ findings: [missing(["52.100.0.0/14"])] }, { findings: [missing(["52.100.0.0/14", "40.107.0.0/16"])] }])).toEqual([
      ["new alert"],
      ["changed alert"],
    ]);
  });

  it("keeps the time a finding was first seen open", () => {
    const drift = missing(["52.100.0.0/14"]);
    const first = classify(undefined, [drift], run(1));
    const second = classify(first.next, [drift], run(2));
    expect(second.transitions[0]!.since).toBe(day(1).toISOString());
  });

  it("without a channel marks nothing as told, so the first check with one tells what is open", () => {
    const drift = missing(["52.100.0.0/14"]);
    expect(
      sequence([{ findings: [drift], canAlert: false }, { findings: [drift], canAlert: false }, { findings: [drift] }, { findings: [drift] }]),
    ).toEqual([["new"], ["unchanged"], ["unchanged alert"], ["unchanged"]]);
  });

  it("holds a snoozed finding back until the snooze ends, then alerts once", () => {
    const drift = missing(["52.100.0.0/14"]);
    const snooze = (s: FindingState) => {
      s.snoozes[drift.id] = { reason: "change window on Friday", by: "admin@contoso.com", until: day(3).toISOString(), digest: drift.digest };
    };
    // Snoozed before it is ever seen: day 1 has no state yet, so the snooze is set on the state day 1 leaves.
    const steps = sequence([
      { findings: [] },
      { findings: [drift], edit: snooze },
      { findings: [drift] },
      { findings: [drift] },
      { findings: [drift] },
    ]);
    expect(steps).toEqual([[], ["new"], ["unchanged alert"], ["unchanged"], ["unchanged"]]);
  });

  it("lets a finding whose substance changed through its snooze", () => {
    const drift = missing(["52.100.0.0/14"]);
    const wider = missing(["52.100.0.0/14", "40.107.0.0/16"]);
    const snooze = (s: FindingState) => {
      s.snoozes[drift.id] = { reason: "known", by: "admin@contoso.com", until: day(30).toISOString(), digest: drift.digest };
    };
    expect(sequence([{ findings: [drift] }, { findings: [drift], edit: snooze }, { findings: [wider] }])).toEqual([
      ["new alert"],
      ["unchanged"],
      ["changed alert"],
    ]);
  });

  it("drops snoozes that ended, and keeps those that hold", () => {
    const drift = missing(["52.100.0.0/14"]);
    const first = classify(undefined, [drift], run(1));
    first.next.snoozes[drift.id] = { reason: "r", by: "b", until: day(2).toISOString(), digest: drift.digest };
    expect(Object.keys(classify(first.next, [drift], { ...run(1), at: new Date(day(1).getTime() + 1000) }).next.snoozes)).toEqual([drift.id]);
    expect(classify(first.next, [drift], run(3)).next.snoozes).toEqual({});
  });
});
