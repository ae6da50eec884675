import { describe, expect, it } from "vitest";
import { observations, REFUSED, RUN_ID } from "../../test/support/observations.js";
import { evaluate } from "../check/evaluate.js";
import { finding } from "../core/finding.js";
import type { Rule } from "../core/rule.js";
import { InputError } from "../errors.js";
import { RULES } from "../rules/index.js";
import { psQuote } from "./quote.js";
import { remediationScript } from "./remediation-script.js";

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
  ["an ordinary identity with a backslash", "EX01\\Inbound from Office 365"],
  ["an apostrophe", "Bob's connector"],
  ["an ASCII quote that would end the literal and run a command", "x'; Remove-ReceiveConnector -Identity * -Confirm:$false; '"],
  ["typographic quotes, which PowerShell also takes as quotes", "x\u2019; Invoke-Expression $env:EVIL; \u2018"],
  ["a subexpression", "$(Stop-Computer)"],
  ["a backtick, a double quote, a hashtable and a comment", '`"@{}; #'],
  ["every single-quote character, alone and doubled", "\u201a\u201b''\u2018\u2019"],
  ["non-ASCII letters and an en dash", "Empfangsconnector für Office 365 – Zürich"],
];

describe("psQuote", () => {
  it.each(HOSTILE)("round-trips %s inside one inert literal: %j", (_what, name) => {
    const literal = psQuote(name);
    const read = readPsLiteral(literal, 0);
    expect(read.value).toBe(name);
    expect(read.end).toBe(literal.length);
  });

  it.each([
    ["a line feed", "a\nb"],
    ["a carriage return", "a\rb"],
    ["a NUL", "a\u0000b"],
    ["a line separator (U+2028)", "a\u2028b"],
    ["a next line (U+0085)", "a\u0085b"],
  ])("refuses %s (%j), which could end a line or a comment", (_what, name) => {
    expect(() => psQuote(name)).toThrow(InputError);
  });
});

describe("remediation.ps1", () => {
  const connector = (identity: string, remoteIPRanges: string[]) => ({ identity, mode: "exact" as const, remoteIPRanges, protected: ["127.0.0.1"] });
  const script = (o: ReturnType<typeof observations>, rules: readonly Rule[] = RULES) => evaluate(o, { rules }).artifacts[remediationScript.file]!;

  it("adds and removes exact entries per connector, with -WhatIf unless -Apply, and a provenance header", () => {
    const text = script(
      observations({ receiveConnectors: [connector("EX01\\Inbound from Office 365", ["127.0.0.1", "40.92.0.0/15", "65.55.88.0/24"])] }),
    );
    expect(text.startsWith("\ufeff<#")).toBe(true);
    expect(text).toContain("Tenant:     contoso.onmicrosoft.com");
    expect(text).toContain("Feed:       Worldwide, version 2025060100");
    expect(text).toContain(`Run:        ${RUN_ID}`);
    expect(text).toContain("param([switch]$Apply)");
    expect(text).toContain(
      "Set-ReceiveConnector -Identity 'EX01\\Inbound from Office 365' -RemoteIPRanges @{\r\n  Add = @('52.100.0.0/14')\r\n  Remove = " +
        "@('65.55.88.0/24')\r\n} -WhatIf:(-not $Apply)",
    );
    expect(text).not.toMatch(/-RemoteIPRanges\s+(['(]|@\()/); // never a whole list
    expect(text).not.toContain("'127.0.0.1'");
  });

  it("merges what the missing and the stale findings add into one minimal list per connector", () => {
    // 40.0.0.0/8 holds 40.92.0.0/15 but is mostly stale: it is removed and its EOP part added back with the missing range.
    const text = script(observations({ receiveConnectors: [connector("EX01\\EOP", ["40.0.0.0/8"])] }));
    expect(text).toContain("Add = @('40.92.0.0/15', '52.100.0.0/14')\r\n  Remove = @('40.0.0.0/8')");
    expect(text.match(/Set-ReceiveConnector -Identity/g)).toHaveLength(1);
  });

  it("keeps a hostile connector name inside its literal and out of the code", () => {
    const name = "x'; Remove-ReceiveConnector -Identity * -Confirm:$false; '";
    const text = script(observations({ checkConnectors: [name], receiveConnectors: [connector(name, ["65.55.88.0/24"])] }));
    const command = "\r\nSet-ReceiveConnector -Identity ";
    const at = text.indexOf(command) + command.length;
    const literal = readPsLiteral(text, at);
    expect(literal.value).toBe(name);
    expect(text.slice(literal.end)).toMatch(/^ -RemoteIPRanges @\{/);
    expect(text.split("\r\n").filter((l) => l.startsWith("Remove-ReceiveConnector"))).toEqual([]);
  });

  it("says so when the feed is refused and proposes no removal", () => {
    // Named, since it allows no EOP address yet.
    const text = script(
      observations({ checkConnectors: ["EX01\\EOP"], receiveConnectors: [connector("EX01\\EOP", ["65.55.88.0/24"])] }, { refused: REFUSED }),
    );
    expect(text).toContain("The latest feed was refused, so this script proposes no removals:");
    expect(text).toContain(REFUSED.reason);
    expect(text).not.toContain("Remove =");
    expect(text).toContain("Add = @('40.92.0.0/15', '52.100.0.0/14')");
  });

  it("writes a script that changes nothing when every connector is in sync", () => {
    const text = script(observations({ receiveConnectors: [connector("EX01\\EOP", ["40.92.0.0/15", "52.100.0.0/14"])] }));
    expect(text).not.toContain("Set-ReceiveConnector -Identity");
    expect(text).toContain("nothing to change");
  });

  it("writes a property change of an on-premises object with its value quoted", () => {
    const certificateRule: Rule = {
      id: "test-certificate-name",
      needs: ["inventory"],
      evaluate: () => [
        finding({
          rule: "test-certificate-name",
          severity: "error",
          subject: { kind: "send-connector", name: "Outbound to Office 365" },
          summary: "The send connector names a certificate that is gone.",
          impact: "Mail to Exchange Online queues.",
          evidence: {},
          changes: [
            {
              kind: "property",
              side: "on-premises",
              cmdlet: "Set-SendConnector",
              identity: "Outbound to Office 365",
              parameter: "TlsCertificateName",
              value: "<I>CN=R3, O=Let's Encrypt<S>CN=mail.contoso.com",
            },
            {
              kind: "property",
              side: "on-premises",
              cmdlet: "Set-SendConnector",
              identity: "Outbound to Office 365",
              parameter: "RequireTLS",
              value: true,
            },
            {
              kind: "property",
              side: "exchange-online",
              cmdlet: "Set-InboundConnector",
              identity: "From on-prem",
              parameter: "TlsSenderCertificateName",
              value: "mail.contoso.com",
            },
          ],
        }),
      ],
    };
    const text = script(observations({}), [certificateRule]);
    expect(text).toContain(
      "Set-SendConnector -Identity 'Outbound to Office 365' -TlsCertificateName '<I>CN=R3, O=Let''s Encrypt<S>CN=mail.contoso.com' -WhatIf:(-not " +
        "$Apply)",
    );
    expect(text).toContain("Set-SendConnector -Identity 'Outbound to Office 365' -RequireTLS $true -WhatIf:(-not $Apply)");
    // Exchange Online changes belong to a session of the ExchangeOnlineManagement module, not this script.
    expect(text).not.toContain("Set-InboundConnector");
  });
});
