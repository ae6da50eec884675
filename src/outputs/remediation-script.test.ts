import { describe, expect, it } from "vitest";
import type { Node } from "web-tree-sitter";
import { observations, REFUSED, RUN_ID } from "../../test/support/observations.js";
import { nodesOfType, parsePowerShell, powershellSyntaxProblems } from "../../test/support/powershell-grammar.js";
import { evaluate } from "../check/evaluate.js";
import { finding } from "../core/finding.js";
import type { Rule } from "../core/rule.js";
import { InputError } from "../errors.js";
import { RULES } from "../rules/index.js";
import { psQuote } from "./quote.js";
import { remediationScript, safeFileName } from "./remediation-script.js";

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

const connector = (identity: string, remoteIPRanges: string[]) => ({ identity, mode: "exact" as const, remoteIPRanges, protected: ["127.0.0.1"] });
const script = (o: ReturnType<typeof observations>, rules: readonly Rule[] = RULES) => evaluate(o, { rules }).artifacts[remediationScript.file]!;
const DRIFT = () =>
  script(observations({ receiveConnectors: [connector("EX01\\Inbound from Office 365", ["127.0.0.1", "40.92.0.0/15", "65.55.88.0/24"])] }));
/** A connector named by the admin, so that a name the EOP rules would not recognise still gets a change. */
const named = (name: string) => script(observations({ checkConnectors: [name], receiveConnectors: [connector(name, ["65.55.88.0/24"])] }));

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

/** Every kind of script the output writes. */
const SCRIPTS: [string, () => string][] = [
  ["in sync", () => script(observations({ receiveConnectors: [connector("EX01\\EOP", ["40.92.0.0/15", "52.100.0.0/14"])] }))],
  ["drift with an addition and a removal", DRIFT],
  ["a stale entry removed and its EOP part added back", () => script(observations({ receiveConnectors: [connector("EX01\\EOP", ["40.0.0.0/8"])] }))],
  [
    "two connectors, one of them with a protected stale entry",
    () =>
      script(
        observations({
          receiveConnectors: [
            { ...connector("EX01\\EOP", ["40.92.0.0/15", "65.55.88.0/24"]), protected: ["65.55.88.0/24"] },
            connector("EX02\\EOP", ["40.92.0.0/15", "23.103.132.0/22"]),
          ],
        }),
      ),
  ],
  [
    "a refused feed, with no removals",
    () =>
      script(observations({ checkConnectors: ["EX01\\EOP"], receiveConnectors: [connector("EX01\\EOP", ["65.55.88.0/24"])] }, { refused: REFUSED })),
  ],
  ["property changes", () => script(observations({}), [certificateRule])],
  ["no receive connector", () => script(observations({}))],
  ["no receive connector checked", () => script(observations({ receiveConnectors: [connector("EX01\\Relay", ["10.0.0.0/24"])] }))],
  ["an unversioned feed", () => script(observations({ receiveConnectors: [connector("EX01\\EOP", ["40.92.0.0/15"])] }, { version: null }))],
];

describe("remediation.ps1", () => {
  it("adds and removes exact entries per connector, takes -WhatIf and -Confirm, and has a provenance header", () => {
    const text = DRIFT();
    expect(text.startsWith("\ufeff<#")).toBe(true);
    expect(text).toContain("Tenant:     contoso.onmicrosoft.com");
    expect(text).toContain("Feed:       Worldwide, version 2025060100");
    expect(text).toContain(`Run:        ${RUN_ID}`);
    expect(text).toContain("\r\n[CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]\r\nparam()\r\n");
    expect(text).toContain(
      "Set-ReceiveConnector -Identity 'EX01\\Inbound from Office 365' -RemoteIPRanges @{\r\n  Add = @('52.100.0.0/14')\r\n  Remove = " +
        "@('65.55.88.0/24')\r\n} -Confirm:$false\r\n}",
    );
    expect(text).not.toMatch(/-RemoteIPRanges\s+(['(]|@\()/); // never a whole list
    expect(text).not.toContain("'127.0.0.1'");
    expect(text).not.toMatch(/\$Apply|-WhatIf:/);
    expect(text.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/); // CRLF only
  });

  it("says in its header how it runs by default and how to roll back", () => {
    const text = DRIFT();
    const header = text.slice(0, text.indexOf("#>"));
    expect(header).toContain(".\\remediation.ps1 -WhatIf          shows each change and changes nothing.");
    expect(header).toContain(".\\remediation.ps1                  asks before each change");
    expect(header).toContain(".\\remediation.ps1 -Confirm:$false  makes every change without asking.");
    expect(header).toContain("(ConfirmImpact High)");
    expect(header).toContain("rollback-<name>-<yyyyMMdd-HHmmss>.xml beside this script");
    expect(header).toContain(
      "Import-Clixml -LiteralPath <file> | ForEach-Object { Set-ReceiveConnector -Identity $_.Identity -RemoteIPRanges $_.RemoteIPRanges }",
    );
    // The short comment beside the binding says why.
    expect(text).toMatch(/# ConfirmImpact High: PowerShell asks before each change[^\r]*\r\n[^\r]*\r\n\[CmdletBinding\(/);
  });

  it.each([
    ["a drifted connector", DRIFT, ["Set-ReceiveConnector"]],
    ["property changes", () => script(observations({}), [certificateRule]), ["Set-SendConnector", "Set-SendConnector"]],
  ])(
    "for %s, makes each change only in its ShouldProcess branch, after saving the state, with no -WhatIf of its own",
    async (_what, make, setters) => {
      const text = make();
      const tree = await parsePowerShell(text);
      const commands = nodesOfType(tree.rootNode, "command");
      const name = (c: Node) => c.childForFieldName("command_name")?.text ?? "";
      const sets = commands.filter((c) => name(c).startsWith("Set-") && name(c) !== "Set-StrictMode");
      expect(sets.map(name)).toEqual(setters);
      for (const set of sets) {
        let branch: Node | null = set.parent;
        while (branch !== null && branch.type !== "if_statement") branch = branch.parent;
        expect(branch?.childForFieldName("condition")?.text).toMatch(/^\$PSCmdlet\.ShouldProcess\('/);
        const inBranch = nodesOfType(branch!, "command").filter((c) => c.startIndex < set.startIndex);
        const noun = name(set).slice("Set-".length);
        // The nested ForEach-Object, where there is one, turns a list into text for the file.
        expect(inBranch.map(name).filter((n) => n !== "ForEach-Object")).toEqual([
          "Join-Path",
          `Get-${noun}`,
          "Select-Object",
          "Export-Clixml",
          "Write-Host",
          "Write-Host",
          "ConvertTo-PsLiteral",
        ]);
        const elements = set.childForFieldName("command_elements")?.text ?? "";
        expect(elements).not.toMatch(/-WhatIf/i);
        expect(elements).toMatch(/ -Confirm:\$false$/);
      }
      tree.delete();
    },
  );

  it("names the identity and the action in ShouldProcess, so -WhatIf and the question say what changes where", () => {
    const text = DRIFT();
    const call = "if ($PSCmdlet.ShouldProcess(";
    const identity = readPsLiteral(text, text.indexOf(call) + call.length);
    expect(identity.value).toBe("EX01\\Inbound from Office 365");
    expect(text.slice(identity.end, identity.end + 2)).toBe(", ");
    const action = readPsLiteral(text, identity.end + 2);
    expect(action.value).toBe("Set-ReceiveConnector -RemoteIPRanges: add 1 EOP range, remove 1 entry that is no longer EOP");
    expect(text.slice(action.end)).toMatch(/^\)\) \{\r\n/);
  });

  it("saves the connector's RemoteIPRanges beside the script before it changes them, and prints the rollback", () => {
    const text = DRIFT();
    const block = text.slice(text.indexOf("if ($PSCmdlet.ShouldProcess("));
    const steps = [
      "$rollback = Join-Path $PSScriptRoot ('rollback-EX01_Inbound_from_Office_365-' + $stamp + '.xml')",
      "Get-ReceiveConnector -Identity 'EX01\\Inbound from Office 365' |\r\n  Select-Object @{ Name = 'Identity'; Expression = { " +
        "$_.Identity.ToString() } }, " +
        "@{ Name = 'RemoteIPRanges'; Expression = { [string[]]@($_.RemoteIPRanges | ForEach-Object { $_.ToString() }) } } |\r\n" +
        "  Export-Clixml -LiteralPath $rollback -NoClobber -Confirm:$false",
      "Write-Host ('Saved the current RemoteIPRanges of EX01\\Inbound from Office 365 to ' + $rollback + '. To roll back:')",
      "Write-Host ('  Import-Clixml -LiteralPath ' + (ConvertTo-PsLiteral $rollback) + ' | ForEach-Object { Set-ReceiveConnector -Identity " +
        "$_.Identity " +
        "-RemoteIPRanges $_.RemoteIPRanges }')",
      "Set-ReceiveConnector -Identity 'EX01\\Inbound from Office 365' -RemoteIPRanges @{",
    ];
    const at = steps.map((s) => block.indexOf(s));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(text).toContain("$stamp = Get-Date -Format 'yyyyMMdd-HHmmss'");
    expect(text).toContain(
      "function ConvertTo-PsLiteral([string] $Text) { \"'\" + ($Text -replace '[''\\u2018\\u2019\\u201a\\u201b]', '$0$0') + \"'\" }",
    );
  });

  it("merges what the missing and the stale findings add into one minimal list per connector", () => {
    // 40.0.0.0/8 holds 40.92.0.0/15 but is mostly stale: it is removed and its EOP part added back with the missing range.
    const text = script(observations({ receiveConnectors: [connector("EX01\\EOP", ["40.0.0.0/8"])] }));
    expect(text).toContain("Add = @('40.92.0.0/15', '52.100.0.0/14')\r\n  Remove = @('40.0.0.0/8')");
    expect(text.match(/Set-ReceiveConnector -Identity '/g)).toHaveLength(1);
    expect(text.match(/ShouldProcess\(/g)).toHaveLength(1);
  });

  it("keeps a hostile connector name inside its literal and out of the code", () => {
    const name = "x'; Remove-ReceiveConnector -Identity * -Confirm:$false; '";
    const text = named(name);
    const command = "\r\nSet-ReceiveConnector -Identity ";
    const at = text.indexOf(command) + command.length;
    const literal = readPsLiteral(text, at);
    expect(literal.value).toBe(name);
    expect(text.slice(literal.end)).toMatch(/^ -RemoteIPRanges @\{/);
    expect(text.split("\r\n").filter((l) => l.startsWith("Remove-ReceiveConnector"))).toEqual([]);
    for (const call of ["\r\nGet-ReceiveConnector -Identity ", "if ($PSCmdlet.ShouldProcess(", "Write-Host ("]) {
      const read = readPsLiteral(text, text.indexOf(call) + call.length);
      expect(read.value).toContain(name);
    }
  });

  it.each([
    ...HOSTILE,
    ["path separators and parent directories", "..\\..\\Windows\\System32/drivers"],
    ["every character Windows reserves in file names", 'a<b>c:d"e/f\\g|h?i*j'],
    ["wildcard brackets", "EX01\\[Inbound] *"],
    ["nothing but punctuation", "\\/:*?"],
    ["a very long name", `EX01\\${"Inbound ".repeat(40)}`],
  ])("writes the rollback file of a connector named with %s under a safe name: %j", (_what, name) => {
    const text = named(name);
    const join = "$rollback = Join-Path $PSScriptRoot (";
    const file = readPsLiteral(text, text.indexOf(join) + join.length);
    expect(file.value).toMatch(/^rollback-[\p{L}\p{N}._-]{1,64}-$/u);
    expect(file.value).toBe(`rollback-${safeFileName(name)}-`);
    expect(text.slice(file.end)).toMatch(/^ \+ \$stamp \+ '\.xml'\)\r\n/);
  });

  it("gives each change its own rollback file, also when two names map to the same safe name", () => {
    const text = script(
      observations({
        checkConnectors: ["*"],
        receiveConnectors: [
          connector("EX01\\EOP x", ["65.55.88.0/24"]),
          connector("EX01/EOP x", ["65.55.88.0/24"]),
          connector("ex01_eop_x", ["65.55.88.0/24"]),
        ],
      }),
    );
    expect([...text.matchAll(/Join-Path \$PSScriptRoot \('rollback-([^']*)-' \+/g)].map((m) => m[1])).toEqual([
      "EX01_EOP_x",
      "EX01_EOP_x-2",
      "ex01_eop_x-3",
    ]);
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

  it.each([
    [
      "every checked connector is in sync",
      observations({ receiveConnectors: [connector("EX01\\EOP", ["40.92.0.0/15", "52.100.0.0/14"])] }),
      "The one checked receive connector already allows the EOP ranges; nothing to change.",
    ],
    [
      "two checked connectors are in sync and a relay is not checked",
      observations({
        receiveConnectors: [
          connector("EX01\\EOP", ["40.92.0.0/15", "52.100.0.0/14"]),
          connector("EX02\\EOP", ["40.92.0.0/15", "52.100.0.0/14"]),
          connector("EX01\\Relay", ["10.0.0.0/24"]),
        ],
      }),
      "All 2 checked receive connectors already allow the EOP ranges (1 not checked, see report.md); nothing to change.",
    ],
    [
      "no connector is checked",
      observations({ receiveConnectors: [connector("EX01\\Relay", ["10.0.0.0/24"])] }),
      "No receive connector was checked: none of the 1 listed is an EOP connector (see report.md); nothing to change.",
    ],
    ["the inventory lists no connector", observations({}), "The inventory lists no receive connector, so none was checked; nothing to change."],
  ])("writes a script that changes nothing when %s, and says what is true", (_what, o, line) => {
    const text = script(o);
    expect(text).not.toMatch(/^Set-ReceiveConnector /m);
    expect(text).not.toContain("ShouldProcess(");
    expect(text).not.toContain("$stamp");
    expect(text).toContain(`\r\nWrite-Host ${psQuote(line)}\r\n`);
  });

  it("writes a property change of an on-premises object with its value quoted, after saving the current value", () => {
    const text = script(observations({}), [certificateRule]);
    expect(text).toContain(
      "Set-SendConnector -Identity 'Outbound to Office 365' -TlsCertificateName '<I>CN=R3, O=Let''s Encrypt<S>CN=mail.contoso.com' " +
        "-Confirm:$false\r\n}",
    );
    expect(text).toContain("Set-SendConnector -Identity 'Outbound to Office 365' -RequireTLS $true -Confirm:$false\r\n}");
    expect(text).toContain(
      "if ($PSCmdlet.ShouldProcess('Outbound to Office 365', 'Set-SendConnector -TlsCertificateName <I>CN=R3, O=Let''s " +
        "Encrypt<S>CN=mail.contoso.com')) {",
    );
    expect(text).toContain("if ($PSCmdlet.ShouldProcess('Outbound to Office 365', 'Set-SendConnector -RequireTLS $true')) {");
    // The current value, saved with the matching Get-: text, except a Boolean, which the Set- takes back only as a Boolean.
    expect(text).toContain(
      "Get-SendConnector -Identity 'Outbound to Office 365' |\r\n  Select-Object @{ Name = 'Identity'; Expression = { $_.Identity.ToString() } }, " +
        "@{ Name = 'TlsCertificateName'; Expression = { if ($null -ne $_.TlsCertificateName) { $_.TlsCertificateName.ToString() } } } |",
    );
    expect(text).toContain("@{ Name = 'RequireTLS'; Expression = { $_.RequireTLS } } |");
    expect(text).toContain("('rollback-Outbound_to_Office_365-TlsCertificateName-' + $stamp + '.xml')");
    expect(text).toContain("('rollback-Outbound_to_Office_365-RequireTLS-' + $stamp + '.xml')");
    expect(text).toContain("' | ForEach-Object { Set-SendConnector -Identity $_.Identity -TlsCertificateName $_.TlsCertificateName }'");
    // Exchange Online changes belong to a session of the ExchangeOnlineManagement module, not this script.
    expect(text).not.toContain("Set-InboundConnector");
  });

  it("refuses a property change whose cmdlet is not a Set- cmdlet, since nothing would save the value first", () => {
    const rule: Rule = {
      ...certificateRule,
      evaluate: () => [
        finding({
          rule: "test-certificate-name",
          severity: "error",
          subject: { kind: "send-connector", name: "x" },
          summary: "",
          impact: "",
          evidence: {},
          changes: [{ kind: "property", side: "on-premises", cmdlet: "Remove-SendConnector", identity: "x", parameter: "Confirm", value: true }],
        }),
      ],
    };
    expect(() => script(observations({}), [rule])).toThrow(InputError);
  });
});

describe("remediation.ps1 in PowerShell's grammar (tree-sitter-powershell)", () => {
  it.each(SCRIPTS)("parses with no ERROR or MISSING node: %s", async (_what, make) => {
    expect(await powershellSyntaxProblems(make())).toEqual([]);
  });

  it.each(HOSTILE)("parses with no ERROR or MISSING node for a connector named with %s", async (_what, name) => {
    expect(await powershellSyntaxProblems(named(name))).toEqual([]);
  });

  it("reports a broken script, so the checks above can fail", async () => {
    expect(await powershellSyntaxProblems("Set-ReceiveConnector -Identity 'x' -RemoteIPRanges @{\r\n  Add = @('1.2.3.4')\r\n")).not.toEqual([]);
    // The generated script with one hashtable left open, one ShouldProcess branch left open, or one literal left open.
    const text = DRIFT();
    for (const broken of [
      text.replace("} -Confirm:$false", " -Confirm:$false"),
      text.replace(/\}\r\n$/, ""),
      text.replace("Add = @('", "Add = @("),
    ]) {
      expect(broken).not.toBe(text);
      const problems = await powershellSyntaxProblems(broken);
      expect(problems.length).toBeGreaterThan(0);
      expect(problems.every((p) => p.kind === "ERROR" || p.kind === "MISSING")).toBe(true);
    }
  });
});
