/**
 * The seam: a rule is one object on the rule list. This test adds one that no
 * other module knows and finds its finding in every place a finding goes —
 * report.json, report.md and the run record — through the same tenant check
 * the queue worker runs, on Table Storage.
 */
import { TableClient } from "@azure/data-tables";
import { describe, expect, inject, it } from "vitest";
import { loadArtifacts } from "../src/check/report-store.js";
import { checkTenant } from "../src/check/tenant-check.js";
import type { CheckReport } from "../src/core/check.js";
import { finding } from "../src/core/finding.js";
import type { Rule } from "../src/core/rule.js";
import { saveFeedState } from "../src/feed/feed-state.js";
import { saveInventory } from "../src/inventory/inventory-store.js";
import { RULES } from "../src/rules/index.js";
import { createRun, loadRun } from "../src/run/run.js";
import { TableStateStore } from "../src/state/table-store.js";
import { observations, RUN_ID } from "./support/observations.js";
import { uniqueTableName } from "./support/tables.js";

/** Flags receive connectors that still carry the Exchange 2010 hybrid wizard's name. */
const legacyConnectorName: Rule = {
  id: "legacy-connector-name",
  needs: ["inventory"],
  evaluate: ({ inventory }) =>
    inventory.receiveConnectors
      .filter((c) => c.identity.endsWith("\\Inbound from Office 365"))
      .map((c) =>
        finding({
          rule: "legacy-connector-name",
          severity: "info",
          subject: { kind: "receive-connector", name: c.identity },
          summary: `Receive connector ${c.identity} has the Exchange 2010 hybrid wizard's name.`,
          impact: "Nothing breaks; it tells which hybrid topology this is.",
          evidence: { identity: c.identity },
        }),
      ),
};

describe("adding a rule", () => {
  it("puts its finding in report.json, report.md and the run record, with no other module changed", async () => {
    const store = new TableStateStore(
      TableClient.fromConnectionString(inject("azuriteTableConnectionString"), uniqueTableName("seam"), { allowInsecureConnection: true }),
    );
    const seen = observations({
      tenant: "contoso.onmicrosoft.com",
      receiveConnectors: [
        { identity: "EX01\\Inbound from Office 365", mode: "superset", remoteIPRanges: ["40.92.0.0/15", "52.100.0.0/14"], protected: [] },
      ],
    });
    await saveInventory(store, seen.inventory);
    await saveFeedState(store, { instance: "Worldwide", lastGood: seen.eop.inForce }, undefined);
    await createRun(store, { id: RUN_ID, trigger: "manual", tenants: ["contoso.onmicrosoft.com"], now: seen.at });

    const outcome = await checkTenant(
      { store, now: () => seen.at, log: () => {}, rules: [...RULES, legacyConnectorName] },
      RUN_ID,
      "contoso.onmicrosoft.com",
    );
    expect("check" in outcome).toBe(true);

    const artifacts = await loadArtifacts(store, "contoso.onmicrosoft.com", RUN_ID);
    const report = JSON.parse(artifacts!["report.json"]!) as CheckReport;
    expect(report.findings.map((f) => f.rule)).toEqual(["legacy-connector-name"]);
    expect(report.findings[0]!.id).toBe("legacy-connector-name:receive-connector:EX01\\Inbound from Office 365");
    expect(artifacts!["report.md"]).toContain("### 1. legacy-connector-name: Receive connector `EX01\\Inbound from Office 365`");
    expect(artifacts!["report.md"]).toContain("has the Exchange 2010 hybrid wizard's name.");

    const run = await loadRun(store, RUN_ID, seen.at);
    expect(run!.status).toBe("succeeded");
    expect(run!.tenants["contoso.onmicrosoft.com"]!.findings).toEqual([
      {
        id: report.findings[0]!.id,
        digest: report.findings[0]!.digest,
        rule: "legacy-connector-name",
        severity: "info",
        subject: report.findings[0]!.subject,
        rangeCount: 0,
        ranges: [],
      },
    ]);
  });
});
