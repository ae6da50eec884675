import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { observations } from "../../test/support/observations.js";
import { evaluate } from "../check/evaluate.js";
import { parseInventory } from "../inventory/parse.js";
import { eopTargets, patternRegExp } from "./eop-targets.js";

const EOP = ["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17", "2a01:111:f400::/48", "2a01:111:f403::/48"];
/**
 * `Get-ReceiveConnector | ConvertTo-Json -Depth 4` of a whole organisation:
 * two servers' default connectors, a relay, a partner, the EOP connector.
 */
const organisation = JSON.parse(readFileSync(new URL("../../examples/get-receiveconnector-organisation.json", import.meta.url), "utf8")) as unknown;

function check(mode: "exact" | "superset", connectors: string[] = []) {
  const inventory = parseInventory(organisation, { source: "org.json", tenant: "contoso.onmicrosoft.com", mode, connectors });
  return observations(inventory, { eopRanges: EOP });
}

describe("which receive connectors get EOP fixes", () => {
  it("in a raw export of a whole organisation, only the EOP connector; every other connector is listed with the reason", () => {
    const o = check("exact");
    expect(eopTargets(o).map((s) => [s.target.name, s.checked, s.reason])).toEqual([
      ["EX01\\Default Frontend EX01", false, "open to every address (::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff); an EOP fix never changes it"],
      ["EX01\\Default EX01", false, "open to every address (::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff); an EOP fix never changes it"],
      ["EX01\\Client Frontend EX01", false, "open to every address (::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff); an EOP fix never changes it"],
      ["EX02\\Default Frontend EX02", false, "open to every address (::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff); an EOP fix never changes it"],
      ["EX02\\Default EX02", false, "open to every address (::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff); an EOP fix never changes it"],
      ["EX02\\Client Frontend EX02", false, "open to every address (::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff); an EOP fix never changes it"],
      ["EX01\\Relay from printers", false, "allows no EOP address (a relay, partner or application connector); name it to check it"],
      ["EX01\\Partner Fabrikam", false, "allows no EOP address (a relay, partner or application connector); name it to check it"],
      [
        "EX01\\Inbound from Office 365",
        true,
        "allows EOP addresses; exact mode, as --mode / ?mode= says: ranges other than EOP's are proposed for removal",
      ],
    ]);
  });

  it("in exact mode proposes changes to the EOP connector only, keeping 127.0.0.1 and its private entry", () => {
    const { check: result, artifacts } = evaluate(check("exact"));
    expect(result.findings.map((f) => [f.rule, f.subject.name])).toEqual([
      ["missing-eop-range", "EX01\\Inbound from Office 365"],
      ["stale-eop-range", "EX01\\Inbound from Office 365"],
    ]);
    const script = artifacts["remediation.ps1"]!;
    expect(script.match(/^Set-ReceiveConnector -Identity '([^']*)'/gm)).toEqual(["Set-ReceiveConnector -Identity 'EX01\\Inbound from Office 365'"]);
    expect(script).toContain("Remove = @('65.55.88.0/24')");
    for (const kept of ["127.0.0.1", "10.0.0.0/24", "0.0.0.0-255.255.255.255", "::-ffff"]) expect(script).not.toContain(`'${kept}`);
    const md = artifacts["report.md"]!;
    expect(md).toContain("| `EX01\\Relay from printers` | Receive connector | exact | 3 | not checked: allows no EOP address");
    expect(md).toContain("| `EX01\\Default Frontend EX01` | Receive connector | exact | 2 | not checked: open to every address");
  });

  it("in superset mode adds EOP to no relay or partner connector", () => {
    const { artifacts } = evaluate(check("superset"));
    expect(artifacts["remediation.ps1"]!.match(/^Set-ReceiveConnector -Identity '([^']*)'/gm)).toEqual([
      "Set-ReceiveConnector -Identity 'EX01\\Inbound from Office 365'",
    ]);
  });

  it("checks exactly the connectors the admin names, but never one open to everything", () => {
    const o = check("superset", ["*\\Relay from printers", "Default Frontend EX02"]);
    expect(
      eopTargets(o)
        .filter((s) => s.checked)
        .map((s) => s.target.name),
    ).toEqual(["EX01\\Relay from printers"]);
    expect(eopTargets(o).find((s) => s.target.name === "EX01\\Inbound from Office 365")!.reason).toBe("not named by the connectors to check");
  });

  it("says so when no target is checked at all", () => {
    const o = check("superset", ["*\\Default Frontend*"]);
    const { check: result } = evaluate(o);
    expect(result.findings.map((f) => f.rule)).toEqual(["no-eop-target"]);
    expect(result.report.status).toBe("drift");
    expect(result.report.summary[0]).toMatch(/^Attention: no target of contoso\.onmicrosoft\.com was checked against the EOP SMTP set/);
  });

  it("treats an allowlist open to everything like a connector, and any other allowlist as an EOP allowlist", () => {
    const o = observations(
      {
        allowlists: [
          { name: "any", mode: "exact", entries: ["0.0.0.0/0"], protected: [] },
          { name: "wide", mode: "exact", entries: ["40.0.0.0/7"], protected: [] },
          { name: "v6 wide", mode: "exact", entries: ["2a01::/31"], protected: [] },
          { name: "v6 /32", mode: "exact", entries: ["2a01:111::/32", "40.92.0.0/15"], protected: [] },
          { name: "eop", mode: "exact", entries: ["40.92.0.0/15"], protected: [] },
        ],
      },
      { eopRanges: EOP },
    );
    expect(eopTargets(o).map((s) => [s.target.name, s.checked, s.openEntry])).toEqual([
      ["any", false, "0.0.0.0/0"],
      ["wide", false, "40.0.0.0/7"],
      ["v6 wide", false, "2a01::/31"],
      ["v6 /32", true, undefined],
      ["eop", true, undefined],
    ]);
  });
});

describe("connector patterns", () => {
  it.each([
    ["a whole identity", "EX01\\Inbound from Office 365", "EX01\\Inbound from Office 365", true],
    ["any case", "ex01\\inbound FROM office 365", "EX01\\Inbound from Office 365", true],
    ["a wildcard server", "*\\Inbound from Office 365", "EX02\\Inbound from Office 365", true],
    ["a name without a server, on any server", "Inbound from Office 365", "EX02\\Inbound from Office 365", true],
    ["a wildcard inside the name", "EX01\\Inbound*", "EX01\\Inbound from Office 365", true],
    ["no partial match without a wildcard", "Inbound", "EX01\\Inbound from Office 365", false],
    ["regular-expression characters as text", "EX01\\Relay (printers).+", "EX01\\Relay (printers).+", true],
    ["regular-expression characters that match nothing else", "EX01\\Relay.", "EX01\\Relayx", false],
  ])("match %s", (_what, pattern, identity, expected) => {
    expect(patternRegExp(pattern).test(identity)).toBe(expected);
  });
});

describe("the EOP connector of a raw export, judged by what it is", () => {
  /** A 2010-style EOP connector as Get-ReceiveConnector writes it: trusted for cloud mail, Partners, with ranges EOP left years ago. */
  const connector = (capabilities: string[]) => ({
    Identity: "EX01\\Inbound from Office 365",
    PermissionGroups: "Partners",
    TlsDomainCapabilities: capabilities,
    RemoteIPRanges: [...EOP, "65.55.88.0/24", "207.46.100.0/24", "213.199.154.0/24", "23.103.132.0/22", "127.0.0.1"],
  });
  const checked = (capabilities: string[]) => {
    const inventory = parseInventory([connector(capabilities)], { source: "rc.json", tenant: "contoso.onmicrosoft.com" });
    return evaluate(observations(inventory, { eopRanges: EOP }));
  };

  it("reports, in the default superset mode, the public ranges that are not EOP's on a connector trusted for cloud mail, proposing nothing", () => {
    const { check: result } = checked(["mail.protection.outlook.com:AcceptCloudServicesMail"]);
    const [stale, ...rest] = result.findings;
    expect(rest).toEqual([]);
    expect(stale!.rule).toBe("stale-eop-range");
    expect(stale!.severity).toBe("warning");
    expect(stale!.ranges).toEqual(["23.103.132.0/22", "65.55.88.0/24", "207.46.100.0/24", "213.199.154.0/24"]);
    expect(stale!.summary).toContain("is trusted for Exchange Online's mail and allows 4 public ranges that are not EOP's");
    expect(stale!.changes ?? []).toEqual([]);
    expect(result.report.status).toBe("drift");
    expect(result.report.evidence.inventory.targets[0]!.reason).toBe(
      "allows EOP addresses; superset mode, the default for raw output; trusted for Exchange Online's mail, so its ranges other than " +
        "EOP's are reported (never removed)",
    );
  });

  it("says in report.md which mode the target was checked in and why", () => {
    const { artifacts } = checked(["mail.protection.outlook.com:AcceptCloudServicesMail"]);
    expect(artifacts["report.md"]).toContain("| drift (allows EOP addresses; superset mode, the default for raw output; trusted for Exchange Online");
  });

  it("leaves a connector's other ranges alone in superset mode when it is not trusted for cloud mail", () => {
    const { check: result } = checked([]);
    expect(result.findings).toEqual([]);
    expect(result.report.evidence.inventory.targets[0]!.reason).toBe(
      "allows EOP addresses; superset mode, the default for raw output: only missing ranges are reported",
    );
  });
});
