import { execFileSync, spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Node, Tree } from "web-tree-sitter";
import { stateDocumentSchema } from "../src/hybrid/state-document.js";
import { parseInventory } from "../src/inventory/parse.js";
import { nodesOfType, parsePowerShell, powershellSyntaxProblems } from "./support/powershell-grammar.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const COLLECTOR = join(root, "collector/Collect-MailflowState.ps1");
const EXAMPLES = join(root, "examples/hybrid");
const BEFORE = join(EXAMPLES, "state-before-renewal.json");
const AFTER = join(EXAMPLES, "state-after-renewal.json");
const script = readFileSync(COLLECTOR, "utf8");

const commandName = (c: Node) => c.childForFieldName("command_name")?.text ?? "";
const elementsOf = (c: Node) => (c.childForFieldName("command_elements")?.text ?? "").trim();
/** PowerShell variable names are case-insensitive: `$Key` and `$key` are one variable. */
const variableName = (v: Node) =>
  v.text
    .replace(/^\$\{?/, "")
    .replace(/\}$/, "")
    .toLowerCase();

/** Whether `node` lies inside `container`; web-tree-sitter makes a new object for each access, so identity cannot tell. */
const within = (node: Node, container: Node | null | undefined) =>
  container != null && node.startIndex >= container.startIndex && node.endIndex <= container.endIndex;

function ancestors(node: Node): Node[] {
  const list: Node[] = [];
  for (let p = node.parent; p !== null; p = p.parent) list.push(p);
  return list;
}

describe("collector/Collect-MailflowState.ps1", () => {
  let tree: Tree;
  let commands: Node[];
  let functions: Map<string, Node>;

  beforeAll(async () => {
    tree = await parsePowerShell(script);
    commands = nodesOfType(tree.rootNode, "command");
    functions = new Map(
      nodesOfType(tree.rootNode, "function_statement").map((f) => [f.descendantsOfType("function_name")[0]!.text.toLowerCase(), f]),
    );
  });
  afterAll(() => tree.delete());

  const commandsNamed = (name: string) => commands.filter((c) => commandName(c).toLowerCase() === name.toLowerCase());
  const functionBody = (name: string) => functions.get(name.toLowerCase())!;

  it("is read by PowerShell's grammar without a syntax error", async () => {
    expect(await powershellSyntaxProblems(script)).toEqual([]);
  });

  it("is plain ASCII, so Windows PowerShell 5.1 reads it the same without a byte order mark", () => {
    expect(script).not.toMatch(/[^\t\n\r -~]/);
  });

  // The PowerShell cmdlets the script may use; every other command must be its own function or an Exchange read.
  const POWERSHELL = new Set(
    [
      "Set-StrictMode",
      "Write-Verbose",
      "Write-Output",
      "Get-Date",
      "Get-Command",
      "Add-Content",
      "Test-Path",
      "Join-Path",
      "ConvertTo-SecureString",
      "New-Object",
      "ConvertFrom-Json",
      "ConvertTo-Json",
      "Where-Object",
      "Select-Object",
      "ForEach-Object",
      "Import-Module",
      "Invoke-RestMethod",
    ].map((n) => n.toLowerCase()),
  );
  // Connect-ExchangeServer (from the shell's own RemoteExchange.ps1) and Connect-ExchangeOnline only open sessions.
  const SESSIONS = new Set(["connect-exchangeserver", "connect-exchangeonline", "disconnect-exchangeonline"]);

  it("runs only Get- cmdlets against Exchange, besides opening and closing its sessions", () => {
    const names = [...new Set(commands.map(commandName))];
    const dotSourced = names.filter((n) => n.startsWith("("));
    const exchange = names.filter((n) => !n.startsWith("(") && !functions.has(n.toLowerCase()) && !POWERSHELL.has(n.toLowerCase()));
    for (const name of exchange) {
      expect(/^Get-/.test(name) || SESSIONS.has(name.toLowerCase()), `${name} is neither a Get- cmdlet nor a session cmdlet`).toBe(true);
    }
    expect(exchange.filter((n) => n.startsWith("Get-")).sort()).toEqual(
      [
        "Get-AcceptedDomain",
        "Get-CloudAcceptedDomain",
        "Get-CloudInboundConnector",
        "Get-CloudOutboundConnector",
        "Get-CloudRemoteDomain",
        "Get-ExchangeCertificate",
        "Get-ExchangeServer",
        "Get-HybridConfiguration",
        "Get-ReceiveConnector",
        "Get-RemoteDomain",
        "Get-SendConnector",
      ].sort(),
    );
    // The one script it dot-sources is the Exchange Management Shell's loader.
    expect(dotSourced).toEqual(["(Join-Path -Path $env:ExchangeInstallPath -ChildPath 'bin\\RemoteExchange.ps1')"]);
    expect(script).toContain("Connect-ExchangeServer -auto -ClientApplication:ManagementShell");
    // The per-server reads name the server, since some cmdlets default to the local one.
    for (const name of ["Get-ReceiveConnector", "Get-ExchangeCertificate"]) {
      expect(commandsNamed(name).map(elementsOf)).toEqual(["-Server $name"]);
    }
  });

  it("reads Exchange Online through a prefix other than the reserved EXO, with -ResultSize Unlimited, and disconnects in finally", () => {
    const [connect, ...more] = commandsNamed("Connect-ExchangeOnline");
    expect(more).toEqual([]);
    const elements = elementsOf(connect!);
    const prefix = /-Prefix (\w+)/.exec(elements)?.[1];
    expect(prefix).toBe("Cloud");
    expect(prefix!.toUpperCase()).not.toBe("EXO");
    for (const part of ["-AppId $AppId", "-CertificateThumbprint $CertificateThumbprint", "-Organization $org", "-ShowBanner:$false"]) {
      expect(elements).toContain(part);
    }
    const online = commands.filter((c) => commandName(c).startsWith(`Get-${prefix}`));
    expect(online.map(commandName).sort()).toEqual(
      ["AcceptedDomain", "InboundConnector", "OutboundConnector", "RemoteDomain"].map((n) => `Get-${prefix}${n}`),
    );
    for (const c of online) expect(elementsOf(c)).toBe("-ResultSize Unlimited");

    const [disconnect] = commandsNamed("Disconnect-ExchangeOnline");
    expect(elementsOf(disconnect!)).toBe("-Confirm:$false");
    const finallyClause = ancestors(disconnect!).find((a) => a.type === "finally_clause");
    expect(finallyClause).toBeDefined();
    const tryStatement = finallyClause!.parent!;
    for (const c of online) expect(within(c, tryStatement.childForFieldName("body") ?? tryStatement.namedChildren[0])).toBe(true);
    // The connection comes before the try, so a failed sign-in is not followed by a disconnect of nothing.
    expect(connect!.startIndex).toBeLessThan(tryStatement.startIndex);
  });

  it("never exports a certificate or reads its private key", () => {
    expect(script).not.toMatch(/Export-ExchangeCertificate|Export-PfxCertificate|ExportPrivateKey|PrivateKey|\.pfx\b|BinaryEncoded/i);
  });

  it("converts each certificate's RawData to base64 and selects only the public parts", () => {
    const body = functionBody("Get-ServerCertificate").text;
    expect(body).toContain("@{ Name = 'RawData'; Expression = { [Convert]::ToBase64String([byte[]] $_.RawData) } }");
    const selected = /\$properties = @\(([\s\S]*?)\n {4}\)/.exec(body)?.[1] ?? "";
    const names = [...selected.matchAll(/'(\w+)'|Name = '(\w+)'/g)].map((m) => m[1] ?? m[2]);
    expect(names).toEqual([
      "Identity",
      "Server",
      "Subject",
      "Issuer",
      "Thumbprint",
      "NotBefore",
      "NotAfter",
      "Services",
      "Status",
      "CertificateDomains",
      "RawData",
    ]);
    expect(body).toContain(
      "Get-ExchangeCertificate -Server $name | Where-Object { [string] $_.Status -ne 'PendingRequest' } | Select-Object -Property $properties",
    );
  });

  it("drops the remote session's SerializationData from every Exchange object", () => {
    expect(script).toContain("$NotExchangeProperties = @('SerializationData', 'PSComputerName', 'PSShowComputerName', 'RunspaceId')");
    const reads = commands.filter((c) =>
      /^Get-(Cloud)?(ReceiveConnector|SendConnector|AcceptedDomain|RemoteDomain|HybridConfiguration|InboundConnector|OutboundConnector)$/.test(
        commandName(c),
      ),
    );
    expect(reads).toHaveLength(9);
    for (const read of reads) {
      const pipeline = ancestors(read).find((a) => a.type === "pipeline_chain" || a.type === "pipeline");
      expect(pipeline?.text, commandName(read)).toMatch(/\| Select-ExchangeObject$/);
    }
  });

  it("builds the document with [ordered] hashtables, collectedAt in UTC ISO 8601, and ConvertTo-Json -Depth 6", () => {
    expect(commandsNamed("ConvertTo-Json").map(elementsOf)).toEqual(["-InputObject $document -Depth 6"]);
    expect(script).toContain("collectedAt = (Get-Date).ToUniversalTime().ToString('o')");
    for (const key of ["tenant", "instance", "collectedAt", "onPremises"]) expect(script).toMatch(new RegExp(`^ {8}${key} += `, "m"));
    for (const key of ["exchangeOnline", "allowlists", "egressAddresses", "probes"]) {
      expect(script).toContain(`$document.${key} = `);
      // A key the app does not read would be refused whole: the document's own fields are strict.
      expect(Object.keys(stateDocumentSchema.shape)).toContain(key);
    }
    for (const key of ["receiveConnectors", "sendConnectors", "exchangeCertificates", "acceptedDomains", "remoteDomains"]) {
      expect(functionBody("Get-OnPremisesState").text).toMatch(new RegExp(`\\n {8}${key} += `));
    }
    expect(functionBody("Get-OnPremisesState").text).toContain("$state.hybridConfiguration = $hybrid[0]");
    for (const key of ["inboundConnectors", "outboundConnectors", "acceptedDomains", "remoteDomains"]) {
      expect(functionBody("Get-ExchangeOnlineState").text).toMatch(new RegExp(`\\n {12}${key} += @\\(Get-Cloud`));
    }
    expect(script.match(/\[ordered\]@\{/g)).toHaveLength(3);
  });

  it("posts UTF-8 bytes with the key in the x-functions-key header, over TLS 1.2", () => {
    const [post, ...more] = commandsNamed("Invoke-RestMethod");
    expect(more).toEqual([]);
    expect(elementsOf(post!).replace(/\s*`\r?\n\s*/g, " ")).toBe(
      "-Method Post -Uri $IngestUrl -Headers @{ 'x-functions-key' = $Key } " +
        "-ContentType 'application/json; charset=utf-8' -Body $body -TimeoutSec 120",
    );
    const send = functionBody("Send-Document").text;
    expect(send).toContain("$body = [System.Text.Encoding]::UTF8.GetBytes($Json)");
    expect(send).toContain(
      "[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12",
    );
    expect(send.indexOf("SecurityProtocol =")).toBeLessThan(send.indexOf("Invoke-RestMethod"));
  });

  it("writes -OutFile as UTF-8 without a byte order mark, replacing the file only when the document is complete", () => {
    const write = functionBody("Write-Document").text;
    expect(write).toContain(
      "[System.IO.File]::WriteAllText($temporary, $Json, (New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false))",
    );
    expect(write.indexOf("WriteAllText")).toBeLessThan(write.indexOf("[System.IO.File]::Replace($temporary, $path, $null)"));
    expect([...commandsNamed("Out-File"), ...commandsNamed("Set-Content")]).toEqual([]);
  });

  it("is fit for a scheduled task: strict, stops on errors, never prompts, one line on stderr, exit 0 or 1", () => {
    expect(script).toMatch(/\nSet-StrictMode -Version Latest\n\$ErrorActionPreference = 'Stop'\n/);
    const paramBlock = tree.rootNode.descendantsOfType("param_block").find((p) => !ancestors(p!).some((a) => a.type === "function_statement"))!;
    expect(paramBlock.text).not.toMatch(/Mandatory\s*=|\[Parameter\(/i);
    const code = script.slice(script.indexOf("#>"));
    expect(code).not.toMatch(/Read-Host|Get-Credential|\$Host\.UI/i);
    expect(code.match(/\bexit (\d)/g)).toEqual(["exit 0", "exit 1"]);
    expect(code).toContain('[Console]::Error.WriteLine("Collect-MailflowState: $Tenant`: $message")');
    // The message is made one line before it is written.
    expect(code).toContain("$message = ($_.Exception.Message -replace '\\s+', ' ').Trim()");
  });

  it("never lets the function key reach a log, the console, an error message or the transcript", () => {
    // Taint: the parameter, what Read-FunctionKey makes (every variable it assigns but its path), and what those flow into.
    const tainted = new Set(["functionkey"]);
    const readKey = functionBody("Read-FunctionKey");
    for (const a of nodesOfType(readKey, "left_assignment_expression")) {
      const name = variableName(a.descendantsOfType("variable")[0]!);
      if (name !== "path") tainted.add(name);
    }
    const mentionsKey = (n: Node) =>
      n.descendantsOfType("variable").some((v) => tainted.has(variableName(v!))) ||
      n.descendantsOfType("command").some((c) => commandName(c!).toLowerCase() === "read-functionkey");
    for (let grew = true; grew; ) {
      grew = false;
      const taint = (name: string) => {
        // $null = … discards; the automatic variables are never the key.
        if (!tainted.has(name) && !["null", "true", "false", "_"].includes(name)) {
          tainted.add(name);
          grew = true;
        }
      };
      for (const a of nodesOfType(tree.rootNode, "assignment_expression")) {
        const left = a.descendantsOfType("left_assignment_expression")[0]!.descendantsOfType("variable")[0]!;
        const value = a.childForFieldName("value");
        if (value !== null && mentionsKey(value)) taint(variableName(left));
      }
      // A tainted argument taints the parameter of the script's own function that takes it.
      for (const c of commands.filter((c) => functions.has(commandName(c).toLowerCase()))) {
        for (const m of elementsOf(c).matchAll(/-(\w+) \$(\w+)/g)) {
          if (tainted.has(m[2]!.toLowerCase())) taint(m[1]!.toLowerCase());
        }
      }
    }
    expect([...tainted].sort()).toEqual(["functionkey", "key", "secure", "text"]);

    const WRITERS = new Set(
      ["Write-Host", "Write-Output", "Write-Verbose", "Write-Warning", "Write-Error", "Write-Information", "Add-Content", "Set-Content", "Out-File"]
        .concat(["Start-Transcript", "Write-Log", "Stop-Collection"])
        .map((n) => n.toLowerCase()),
    );
    // Write-Log and Stop-Collection are writers because their text is logged or printed.
    expect(functionBody("Write-Log").text).toContain("Add-Content -LiteralPath $LogPath -Value $line");
    expect(functionBody("Write-Log").text).toContain("Write-Verbose -Message $Message");
    expect(functionBody("Stop-Collection").text).toContain("throw");
    const writes = [
      ...commands.filter((c) => WRITERS.has(commandName(c).toLowerCase())),
      ...nodesOfType(tree.rootNode, "invokation_expression").filter((i) => i.text.startsWith("[Console]::Error.WriteLine(")),
      ...nodesOfType(tree.rootNode, "flow_control_statement").filter((f) => f.text.startsWith("throw")),
    ];
    expect(writes.length).toBeGreaterThan(30);
    for (const w of writes) expect(mentionsKey(w), `line ${w.startPosition.row + 1}: ${w.text.slice(0, 100)}`).toBe(false);

    // Positively: the key is only read, checked, passed to Send-Document and put in the header.
    const uses = nodesOfType(tree.rootNode, "variable").filter((v) => tainted.has(variableName(v)));
    for (const use of uses) {
      const up = ancestors(use);
      const allowed =
        within(use, readKey) ||
        up.some((a) => a.type === "script_parameter" || a.type === "left_assignment_expression") ||
        up.some((a) => a.type === "hash_entry" && a.text.startsWith("'x-functions-key' = ")) ||
        up.some((a) => a.type === "command" && /^-Json \$json -Key \$key$/.test(elementsOf(a))) ||
        (within(use, functionBody("Test-Parameter")) &&
          up.some((a) => (a.type === "if_statement" || a.type === "elseif_clause") && within(use, a.childForFieldName("condition"))));
      expect(allowed, `line ${use.startPosition.row + 1}: ${up[0]!.text.slice(0, 100)}`).toBe(true);
    }
    // A transcript would record the command line, key and all, in its header.
    expect(script).not.toMatch(/Start-Transcript/);
  });

  it("documents every parameter of its param block in comment-based help, with a scheduled-task example", () => {
    const help = script.slice(script.indexOf("<#"), script.indexOf("#>"));
    for (const section of [".SYNOPSIS", ".DESCRIPTION", ".EXAMPLE", ".NOTES"]) expect(help).toContain(`\n${section}\n`);
    const documented = [...help.matchAll(/^\.PARAMETER (\w+)$/gm)].map((m) => m[1]);
    const paramBlock = tree.rootNode.descendantsOfType("param_block").find((p) => !ancestors(p!).some((a) => a.type === "function_statement"))!;
    const declared = paramBlock.descendantsOfType("script_parameter").map((p) => p!.descendantsOfType("variable").at(-1)!.text.slice(1));
    expect(declared).toEqual([
      "Tenant",
      "Instance",
      "IngestUrl",
      "FunctionKey",
      "FunctionKeyPath",
      "OutFile",
      "AllowlistPath",
      "EgressAddress",
      "ProbePath",
      "Server",
      "ConnectExchangeOnline",
      "AppId",
      "CertificateThumbprint",
      "Organization",
      "LogPath",
    ]);
    expect(documented).toEqual(declared);
    // Each .PARAMETER says something.
    for (const section of help.split(/^\.PARAMETER /m).slice(1)) expect(section.split("\n").slice(1).join(" ").trim().length).toBeGreaterThan(40);
    expect(help).toContain("powershell.exe");
    expect(help).toMatch(/-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "C:\\mailflow-guard\\Collect-MailflowState\.ps1"/);
  });
});

// ---------------------------------------------------------------------------------------------------------------

interface ExchangeCertificate {
  Identity: string;
  Server: string;
  Subject: string;
  Issuer: string;
  Thumbprint: string;
  NotBefore: string;
  NotAfter: string;
  Services: string;
  CertificateDomains: string[] | { value: string[]; Count: number };
  RawData: string;
}
// biome-ignore lint/suspicious/noExplicitAny: the documents are read as data; each test asserts the shape it relies on.
type Json = Record<string, any>;

const readDocument = (path: string): Json => JSON.parse(readFileSync(path, "utf8"));

/** NotAfter as Windows PowerShell 5.1 (`/Date(ms)/`) or PowerShell 7 (ISO 8601 with an offset) writes it. */
function instant(text: string): number {
  const ms = /^\/Date\((-?\d+)\)\/$/.exec(text)?.[1];
  if (ms !== undefined) return Number(ms);
  expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  return Date.parse(text);
}

/** Node writes a name one RDN a line, least specific first; Exchange (.NET) most specific first, with S= for ST=. */
const exchangeName = (nodeName: string) =>
  nodeName
    .split("\n")
    .reverse()
    .map((rdn) => rdn.replace(/^ST=/, "S="))
    .join(", ");

const list = (value: string[] | { value: string[]; Count: number }) => (Array.isArray(value) ? value : value.value);

/** Issuer and subject a connector names, from either of Exchange's forms. */
function namedCertificate(value: unknown): { issuer: string; subject: string } {
  if (typeof value === "string") {
    const m = /^<I>(.+)<S>(.+)$/.exec(value);
    expect(m, value).not.toBeNull();
    return { issuer: m![1]!, subject: m![2]! };
  }
  const o = value as { CertificateIssuer: string; CertificateSubject: string; SubjectCommonName: string };
  expect(o.CertificateSubject).toMatch(new RegExp(`^CN=${o.SubjectCommonName.replace(/\./g, "\\.")},`));
  return { issuer: o.CertificateIssuer, subject: o.CertificateSubject };
}

/** Every place in a document that names a certificate by issuer and subject, with the servers it is used on. */
function certificateNames(doc: Json) {
  const on = doc.onPremises;
  return [
    ...on.receiveConnectors
      .filter((c: Json) => c.TlsCertificateName !== null)
      .map((c: Json) => ({ where: c.Identity, servers: [c.Server], ...namedCertificate(c.TlsCertificateName) })),
    ...on.sendConnectors
      .filter((c: Json) => c.TlsCertificateName !== null)
      .map((c: Json) => ({ where: c.Identity, servers: c.SourceTransportServers, ...namedCertificate(c.TlsCertificateName) })),
    {
      where: "hybrid configuration",
      servers: on.hybridConfiguration.SendingTransportServers,
      ...namedCertificate(on.hybridConfiguration.TlsCertificateName),
    },
  ];
}

function checkCertificates(doc: Json) {
  const certificates: ExchangeCertificate[] = doc.onPremises.exchangeCertificates;
  expect(certificates.length).toBeGreaterThan(0);
  for (const c of certificates) {
    const x509 = new X509Certificate(Buffer.from(c.RawData, "base64"));
    expect(Buffer.from(c.RawData, "base64").toString("base64")).toBe(c.RawData);
    expect(c.Subject).toBe(exchangeName(x509.subject));
    expect(c.Issuer).toBe(exchangeName(x509.issuer));
    expect(c.Thumbprint).toBe(x509.fingerprint.replace(/:/g, ""));
    expect(c.Thumbprint).toMatch(/^[0-9A-F]{40}$/);
    expect(instant(c.NotAfter)).toBe(Date.parse(x509.validTo));
    expect(instant(c.NotBefore)).toBe(Date.parse(x509.validFrom));
    expect(list(c.CertificateDomains)).toEqual(x509.subjectAltName!.split(", ").map((n) => n.replace(/^DNS:/, "")));
    expect(c.Identity).toBe(`${c.Server}.contoso.local\\${c.Thumbprint}`);
  }
}

/** The public certificate that carries mail.contoso.com on a server. */
const mailCertificate = (doc: Json, server: string): ExchangeCertificate =>
  doc.onPremises.exchangeCertificates.find((c: ExchangeCertificate) => c.Server === server && c.Subject.startsWith("CN=mail.contoso.com,"));

describe("examples/hybrid: the state documents before and after a certificate renewal", () => {
  const before = readDocument(BEFORE);
  const after = readDocument(AFTER);

  it.each([
    ["before", BEFORE],
    ["after", AFTER],
  ])("%s: is JSON for contoso with every part the collector writes", (_when, path) => {
    const doc = readDocument(path);
    expect(Object.keys(doc)).toEqual(["tenant", "instance", "collectedAt", "onPremises", "exchangeOnline", "allowlists"]);
    expect(doc.tenant).toBe("contoso.onmicrosoft.com");
    expect(doc.instance).toBe("Worldwide");
    expect(doc.collectedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    expect(Object.keys(doc.onPremises)).toEqual([
      "receiveConnectors",
      "sendConnectors",
      "exchangeCertificates",
      "acceptedDomains",
      "remoteDomains",
      "hybridConfiguration",
    ]);
    expect(Object.keys(doc.exchangeOnline)).toEqual(["inboundConnectors", "outboundConnectors", "acceptedDomains", "remoteDomains"]);
  });

  it.each([
    ["before", BEFORE],
    ["after", AFTER],
  ])("%s: every certificate's RawData is the DER of a certificate with its Subject, Issuer, Thumbprint, dates and names", (_when, path) => {
    checkCertificates(readDocument(path));
  });

  it.each([
    ["before", BEFORE],
    ["after", AFTER],
  ])("%s: carries no private key or PFX", (_when, path) => {
    const text = readFileSync(path, "utf8");
    // Neither can occur inside base64, so a match is a PEM block or a key's name.
    expect(text).not.toMatch(/PRIVATE KEY|-----BEGIN/);
    const strings: [string, string][] = [];
    const walk = (v: unknown, key: string): void => {
      if (Array.isArray(v)) for (const item of v) walk(item, key);
      else if (v !== null && typeof v === "object") for (const [k, child] of Object.entries(v)) walk(child, k);
      else if (typeof v === "string") strings.push([key, v]);
      expect(key).not.toMatch(/private|pfx|pkcs|password|secret|key$/i);
    };
    walk(JSON.parse(text), "");
    // A PFX would be a long base64 string: the only long strings are certificates' RawData, each a certificate.
    const long = strings.filter(([, v]) => v.length > 200);
    expect(long.length).toBe(JSON.parse(text).onPremises.exchangeCertificates.length);
    for (const [k, v] of long) {
      expect(k).toBe("RawData");
      expect(new X509Certificate(Buffer.from(v, "base64")).ca).toBe(false);
    }
  });

  it("shows the renewal: both servers swap certificate A from CA-1 for B from CA-2, with the same subject and names", () => {
    for (const server of ["EX01", "EX02"]) {
      const a = mailCertificate(before, server);
      const b = mailCertificate(after, server);
      expect(a.Thumbprint).not.toBe(b.Thumbprint);
      expect(a.Issuer).toBe("CN=Contoso Test TLS CA-1, O=Contoso Test PKI, C=US");
      expect(b.Issuer).toBe("CN=Contoso Test TLS CA-2, O=Contoso Test PKI, C=US");
      expect(b.Subject).toBe(a.Subject);
      expect(list(b.CertificateDomains)).toEqual(["mail.contoso.com", "autodiscover.contoso.com"]);
      expect(a.Services).toBe("IMAP, POP, IIS, SMTP");
      expect(b.Services).toBe("IMAP, POP, IIS, SMTP");
      expect(new Date(instant(a.NotBefore)).toISOString()).toBe("2026-01-10T00:00:00.000Z");
      expect(new Date(instant(a.NotAfter)).toISOString()).toBe("2027-01-10T23:59:59.000Z");
      expect(new Date(instant(b.NotBefore)).toISOString()).toBe("2026-11-20T00:00:00.000Z");
      expect(new Date(instant(b.NotAfter)).toISOString()).toBe("2027-11-20T23:59:59.000Z");
      // A is gone from the server after the renewal.
      expect(after.onPremises.exchangeCertificates.some((c: ExchangeCertificate) => c.Thumbprint === a.Thumbprint)).toBe(false);
    }
  });

  it("before: every certificate a connector names is installed on the servers that use it", () => {
    const names = certificateNames(before);
    expect(names.map((n) => n.where)).toEqual([
      "EX01\\Default Frontend EX01",
      "EX02\\Default Frontend EX02",
      "Outbound to Office 365 - a7d3c9e2-5f14-4b86-9e0a-3c71d8b2f645",
      "hybrid configuration",
    ]);
    for (const n of names) {
      for (const server of n.servers) {
        const installed = before.onPremises.exchangeCertificates.filter((c: ExchangeCertificate) => c.Server === server);
        expect(
          installed.some((c: ExchangeCertificate) => c.Issuer === n.issuer && c.Subject === n.subject),
          `${n.where} on ${server}`,
        ).toBe(true);
      }
    }
  });

  it("after: the connectors and the hybrid configuration still name CA-1, which no server has any more", () => {
    const names = certificateNames(after);
    expect(names).toHaveLength(4);
    for (const n of names) {
      expect(n.issuer).toBe("CN=Contoso Test TLS CA-1, O=Contoso Test PKI, C=US");
      expect(n.subject).toBe("CN=mail.contoso.com, O=Contoso Ltd, L=Redmond, S=Washington, C=US");
      for (const server of n.servers) {
        const installed = after.onPremises.exchangeCertificates.filter((c: ExchangeCertificate) => c.Server === server);
        expect(installed.length).toBeGreaterThan(0);
        expect(
          installed.some((c: ExchangeCertificate) => c.Issuer === n.issuer && c.Subject === n.subject),
          `${n.where} on ${server}`,
        ).toBe(false);
      }
    }
    // Only the certificates changed between the two documents.
    const { exchangeCertificates: _b, ...onPremBefore } = before.onPremises;
    const { exchangeCertificates: _a, ...onPremAfter } = after.onPremises;
    expect(onPremAfter).toEqual(onPremBefore);
    expect(after.exchangeOnline).toEqual(before.exchangeOnline);
  });

  it("names certificates in both of Exchange's forms: the <I>…<S>… string and the SmtpX509Identifier object", () => {
    for (const doc of [before, after]) {
      expect(typeof doc.onPremises.receiveConnectors[0].TlsCertificateName).toBe("string");
      expect(typeof doc.onPremises.hybridConfiguration.TlsCertificateName).toBe("string");
      expect(Object.keys(doc.onPremises.sendConnectors[0].TlsCertificateName)).toEqual([
        "CertificateIssuer",
        "CertificateSubject",
        "SubjectCommonName",
      ]);
    }
  });

  it("before is Windows PowerShell 5.1's serialisation, after PowerShell 7's", () => {
    const raw51 = readFileSync(BEFORE, "utf8");
    expect(raw51).toContain('"NotAfter":  "\\/Date(');
    expect(raw51).toContain('"TlsCertificateName":  "\\u003cI\\u003eCN=Contoso Test TLS CA-1');
    expect(raw51.split("\n").every((line, i, all) => i === all.length - 1 || line.endsWith("\r"))).toBe(true);
    expect(before.onPremises.exchangeCertificates.every((c: ExchangeCertificate) => !Array.isArray(c.CertificateDomains))).toBe(true);
    expect(before.onPremises.exchangeCertificates[0].CertificateDomains).toEqual({
      value: ["mail.contoso.com", "autodiscover.contoso.com"],
      Count: 2,
    });

    const raw7 = readFileSync(AFTER, "utf8");
    expect(raw7).not.toContain("\r");
    expect(raw7).not.toContain("\\u003c");
    expect(mailCertificate(after, "EX01").NotAfter).toBe("2027-11-21T00:59:59+01:00");
    expect(after.onPremises.exchangeCertificates.every((c: ExchangeCertificate) => Array.isArray(c.CertificateDomains))).toBe(true);
  });

  it("has the connectors, domains and hybrid configuration the Hybrid Configuration Wizard makes", () => {
    const on = before.onPremises;
    const [toCloud] = on.sendConnectors;
    expect(toCloud).toMatchObject({
      Name: "Outbound to Office 365 - a7d3c9e2-5f14-4b86-9e0a-3c71d8b2f645",
      AddressSpaces: ["smtp:contoso.mail.onmicrosoft.com;1"],
      TlsAuthLevel: "DomainValidation",
      TlsDomain: "mail.protection.outlook.com",
      CloudServicesMailEnabled: true,
      RequireTLS: true,
      SmartHosts: [],
      DNSRoutingEnabled: true,
      SourceTransportServers: ["EX01", "EX02"],
    });
    for (const server of ["EX01", "EX02"]) {
      const frontend = on.receiveConnectors.find((c: Json) => c.Identity === `${server}\\Default Frontend ${server}`);
      expect(frontend.TlsDomainCapabilities).toEqual(["mail.protection.outlook.com:AcceptCloudServicesMail"]);
      expect(frontend.Bindings).toContain("0.0.0.0:25");
    }
    expect(on.acceptedDomains.map((d: Json) => [d.DomainName, d.DomainType])).toEqual([
      ["contoso.com", "Authoritative"],
      ["contoso.mail.onmicrosoft.com", "InternalRelay"],
    ]);
    expect(on.remoteDomains.map((d: Json) => [d.DomainName, d.TargetDeliveryDomain, d.TrustedMailInboundEnabled])).toEqual([
      ["*", false, false],
      ["contoso.mail.onmicrosoft.com", true, false],
      ["contoso.onmicrosoft.com", false, true],
    ]);
    expect(on.hybridConfiguration).toMatchObject({
      OnPremisesSmartHost: "mail.contoso.com",
      Domains: ["contoso.com"],
      SendingTransportServers: ["EX01", "EX02"],
      ReceivingTransportServers: ["EX01", "EX02"],
    });
    expect(on.hybridConfiguration.Features).toContain("SecureMail");
    const online = before.exchangeOnline;
    expect(online.inboundConnectors[0]).toMatchObject({
      Name: "Inbound from a7d3c9e2-5f14-4b86-9e0a-3c71d8b2f645",
      ConnectorType: "OnPremises",
      ConnectorSource: "HybridWizard",
      TlsSenderCertificateName: "mail.contoso.com",
      RequireTls: true,
    });
    expect(online.outboundConnectors[0]).toMatchObject({
      Name: "Outbound to a7d3c9e2-5f14-4b86-9e0a-3c71d8b2f645",
      ConnectorType: "OnPremises",
      SmartHosts: ["mail.contoso.com"],
      TlsSettings: "DomainValidation",
      TlsDomain: "mail.contoso.com",
      RecipientDomains: ["contoso.com"],
      UseMXRecord: false,
    });
    // B still carries the name Exchange Online checks, so that side keeps working after the renewal.
    expect(list(mailCertificate(after, "EX01").CertificateDomains)).toContain(online.inboundConnectors[0].TlsSenderCertificateName);
  });

  it("has an allowlist of the EOP ranges that the inventory parser accepts", () => {
    const inventory = parseInventory({ tenant: before.tenant, instance: before.instance, allowlists: before.allowlists }, { source: BEFORE });
    expect(inventory.allowlists).toEqual([
      {
        name: "edge-fw smtp-in",
        mode: "exact",
        entries: ["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17", "2a01:111:f400::/48", "2a01:111:f403::/48"],
        protected: [],
        removable: [],
      },
    ]);
    expect(after.allowlists).toEqual(before.allowlists);
  });
});

const haveOpenssl = spawnSync("openssl", ["version"]).status === 0 && spawnSync("node", ["--version"]).status === 0;

describe.skipIf(!haveOpenssl)("examples/hybrid/make-certificates.sh", () => {
  it("makes the certificates again, keeps no private key, and can put them into copies of the documents", { timeout: 60_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), "mailflow-guard-certificates-"));
    try {
      for (const file of ["make-certificates.sh", "state-before-renewal.json", "state-after-renewal.json"])
        copyFileSync(join(EXAMPLES, file), join(dir, file));
      execFileSync("bash", [join(dir, "make-certificates.sh"), "--update-examples", join(dir, "out")], { stdio: "pipe" });
      const made = readdirSync(join(dir, "out")).sort();
      expect(made).toEqual(["ca1.cer", "ca2.cer", "certificates.json", "ex01.cer", "ex02.cer", "leaf-a.cer", "leaf-b.cer", "root.cer"]);
      for (const file of made) expect(readFileSync(join(dir, "out", file)).toString("latin1")).not.toMatch(/PRIVATE KEY/);
      const fresh = JSON.parse(readFileSync(join(dir, "out", "certificates.json"), "utf8"));
      expect(
        new X509Certificate(Buffer.from(fresh["leaf-b"].RawData, "base64")).checkIssued(
          new X509Certificate(readFileSync(join(dir, "out", "ca2.cer"))),
        ),
      ).toBe(true);
      expect(
        new X509Certificate(readFileSync(join(dir, "out", "leaf-a.cer"))).verify(
          new X509Certificate(readFileSync(join(dir, "out", "ca1.cer"))).publicKey,
        ),
      ).toBe(true);

      // New keys mean new thumbprints; the updated copies still agree with their DER everywhere.
      const updatedBefore = readDocument(join(dir, "state-before-renewal.json"));
      const updatedAfter = readDocument(join(dir, "state-after-renewal.json"));
      expect(mailCertificate(updatedBefore, "EX01").Thumbprint).toBe(fresh["leaf-a"].Thumbprint);
      expect(mailCertificate(updatedAfter, "EX02").Thumbprint).toBe(fresh["leaf-b"].Thumbprint);
      expect(mailCertificate(updatedBefore, "EX01").Thumbprint).not.toBe(mailCertificate(readDocument(BEFORE), "EX01").Thumbprint);
      checkCertificates(updatedBefore);
      checkCertificates(updatedAfter);
      // The 5.1 formatting survives the update.
      expect(readFileSync(join(dir, "state-before-renewal.json"), "utf8")).toContain('"NotAfter":  "\\/Date(');
      expect(existsSync(join(dir, "out", "leaf-a.key"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
