import { describe, expect, it } from "vitest";
import { InputError } from "../errors.js";
import type { InventoryTarget } from "../inventory/inventory.js";
import { RangeSet } from "../ip/index.js";
import { analyseTarget } from "../rules/eop-drift.js";
import { receiveConnectorScript } from "./powershell.js";
import { psQuote } from "./quote.js";

/**
 * Reads one PowerShell single-quoted string literal the way the PowerShell
 * tokenizer does (about_Quoting_Rules): it opens and closes at any of the four
 * single-quote characters, and two quote characters in a row stand for the
 * second one. Returns the value and where the literal ended.
 */
function readPsLiteral(text: string, start: number): { value: string; end: number } {
  const quote = /['\u2018\u2019\u201a\u201b]/;
  if (!quote.test(text[start] ?? "")) throw new Error(`no literal at ${start}`);
  let value = "";
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]!;
    if (quote.test(c)) {
      if (quote.test(text[i + 1] ?? "")) {
        value += text[i + 1];
        i++;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += c;
  }
  throw new Error("unterminated literal");
}

const HOSTILE = [
  "EX01\\Inbound from Office 365",
  "Bob's connector",
  "x'; Remove-ReceiveConnector -Identity * -Confirm:$false; '",
  "x\u2019; Invoke-Expression $env:EVIL; \u2018",
  "$(Stop-Computer)",
  "`\"@{}; #",
  "\u201a\u201b''\u2018\u2019",
  "Empfangsconnector für Office 365 – Zürich",
];

describe("psQuote", () => {
  it.each(HOSTILE)("round-trips %j as one inert literal", (name) => {
    const literal = psQuote(name);
    const read = readPsLiteral(literal, 0);
    expect(read.value).toBe(name);
    expect(read.end).toBe(literal.length);
  });

  it.each(["a\nb", "a\rb", "a\u0000b", "a\u2028b", "a\u0085b"])("refuses %j, which could end a line or a comment", (name) => {
    expect(() => psQuote(name)).toThrow(InputError);
  });
});

describe("receiveConnectorScript", () => {
  const eop = RangeSet.parse(["40.92.0.0/15", "52.100.0.0/14"]);
  const target = (name: string, entries: string[]): InventoryTarget => ({ kind: "receive-connector", name, mode: "exact", entries, protected: ["127.0.0.1"], path: "p" });
  const provenance = { tenant: "contoso.onmicrosoft.com", instance: "Worldwide", feedVersion: "2025060100", runId: "5f1c2f7e-8f0a-4a51-9d9e-0c6a3b1d2e4f", generatedAt: "2026-11-22T06:00:00.000Z" };

  it("adds and removes exact entries per connector, with -WhatIf unless -Apply, and a provenance header", () => {
    const script = receiveConnectorScript([analyseTarget(target("EX01\\Inbound from Office 365", ["127.0.0.1", "40.92.0.0/15", "65.55.88.0/24"]), eop, { allowRemovals: true })], provenance);
    expect(script.startsWith("\ufeff<#")).toBe(true);
    expect(script).toContain("Tenant:     contoso.onmicrosoft.com");
    expect(script).toContain("Feed:       Worldwide, version 2025060100");
    expect(script).toContain(`Run:        ${provenance.runId}`);
    expect(script).toContain("param([switch]$Apply)");
    expect(script).toContain(
      "Set-ReceiveConnector -Identity 'EX01\\Inbound from Office 365' -RemoteIPRanges @{\r\n  Add = @('52.100.0.0/14')\r\n  Remove = @('65.55.88.0/24')\r\n} -WhatIf:(-not $Apply)",
    );
    expect(script).not.toMatch(/-RemoteIPRanges\s+(['(]|@\()/); // never a whole list
    expect(script).not.toContain("'127.0.0.1'");
  });

  it("keeps a hostile connector name inside its literal and out of the code", () => {
    const name = "x'; Remove-ReceiveConnector -Identity * -Confirm:$false; '";
    const script = receiveConnectorScript([analyseTarget(target(name, ["65.55.88.0/24"]), eop, { allowRemovals: true })], provenance);
    const command = "\r\nSet-ReceiveConnector -Identity ";
    const at = script.indexOf(command) + command.length;
    const literal = readPsLiteral(script, at);
    expect(literal.value).toBe(name);
    expect(script.slice(literal.end)).toMatch(/^ -RemoteIPRanges @\{/);
    expect(script.split("\r\n").filter((l) => l.startsWith("Remove-ReceiveConnector"))).toEqual([]);
  });

  it("says so when the feed is refused and proposes no removal", () => {
    const script = receiveConnectorScript([analyseTarget(target("EX01\\EOP", ["65.55.88.0/24"]), eop, { allowRemovals: false })], {
      ...provenance,
      feedRefusedReason: "it would remove 60 % of the IPv4 EOP addresses",
    });
    expect(script).toContain("The latest feed was refused, so this script proposes no removals:");
    expect(script).not.toContain("Remove =");
    expect(script).toContain("Add = @('40.92.0.0/15', '52.100.0.0/14')");
  });

  it("writes a script that changes nothing when every connector is in sync", () => {
    const script = receiveConnectorScript([analyseTarget(target("EX01\\EOP", ["40.92.0.0/15", "52.100.0.0/14"]), eop, { allowRemovals: true })], provenance);
    expect(script).not.toContain("Set-ReceiveConnector -Identity");
    expect(script).toContain("nothing to change");
  });
});
