import { execFileSync, spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Node, Tree } from "web-tree-sitter";
import { STATE_PARTS } from "../src/hybrid/hybrid-state.js";
import { readStateDocument, stateDocumentSchema } from "../src/hybrid/state-document.js";
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

/** `$a.b` and `$a.b()`: the operator (`.` or `::`) and the member's name. */
function memberOf(n: Node): { operator: string; name: string } | undefined {
  const operator = n.children.find((c) => c.type === "." || c.type === "::");
  const name = n.children.find((c) => c.type === "member_name");
  return operator && name ? { operator: operator.type, name: name.text } : undefined;
}

const line = (n: Node) => `line ${n.startPosition.row + 1}: ${n.text.slice(0, 100)}`;

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
  const commandsIn = (n: Node) => nodesOfType(n, "command");
  /** The if statements (and elseif clauses) whose condition holds `node`, or whose body does. */
  const guardsOf = (node: Node) =>
    ancestors(node)
      .filter((a) => a.type === "if_statement" || a.type === "elseif_clause" || a.type === "else_clause")
      .map((a) =>
        a.type === "else_clause" ? `else of ${a.parent!.childForFieldName("condition")?.text}` : (a.childForFieldName("condition")?.text ?? ""),
      );
  /** Every value assigned to a variable anywhere in the script (`=` and `+=`), by its lower-case name. */
  const assignments = () => {
    const values = new Map<string, { operator: string; value: string }[]>();
    for (const a of nodesOfType(tree.rootNode, "assignment_expression")) {
      const left = a.descendantsOfType("left_assignment_expression")[0]!;
      if (left.text.includes("[") || left.text.includes(".")) continue;
      const name = variableName(left.descendantsOfType("variable")[0]!);
      const operator = a.descendantsOfType("assignement_operator")[0]!.text;
      const value = a.childForFieldName("value")?.text ?? "";
      values.set(name, [...(values.get(name) ?? []), { operator, value }]);
    }
    return values;
  };
  /** The `-Part '…'` literals of Add-NotCollected and New-NotCollected, and the Edge's two parts. */
  const partsNamed = () => [
    ...[...script.matchAll(/-Part '([\w.]+)'/g)].map((m) => m[1]!),
    ...(/\$edgeParts = @\(([^)]*)\)/.exec(script)?.[1] ?? "").split(",").map((p) => p.trim().replace(/'/g, "")),
  ];

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
      "Add-Member",
      "Add-Type",
      "ConvertFrom-Json",
      "ConvertTo-Json",
      "Export-Clixml",
      "Import-Clixml",
      "Where-Object",
      "Select-Object",
      "ForEach-Object",
      "Import-Module",
      "Invoke-Command",
      "Get-PSSnapin",
      "Add-PSSnapin",
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
    // Exchange 2013 and later's shortcut runs Connect-ExchangeServer -auto -ClientApplication:ManagementShell, 2010's -auto alone.
    expect(commandsNamed("Connect-ExchangeServer").map(elementsOf)).toEqual(["@connect"]);
    expect(script).toContain("$connect = @{ auto = $true }");
    expect(script).toContain(
      "if ((Get-Command -Name Connect-ExchangeServer).Parameters.ContainsKey('ClientApplication')) { $connect['ClientApplication'] = 'ManagementShell' }",
    );
    // On premises the per-server reads name the server, since the cmdlets default to the local one; on an Edge they read the Edge itself.
    const edge = functionBody("Read-LocalEdgeTransport");
    for (const name of ["Get-ReceiveConnector", "Get-ExchangeCertificate"]) {
      const reads = commandsNamed(name);
      expect(reads.filter((c) => !within(c, edge)).map(elementsOf)).toEqual(["-Server $name"]);
      expect(reads.filter((c) => within(c, edge)).map(elementsOf)).toEqual([""]);
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

  it("copies each certificate's public facts, only those the object has, into a new object with its Server", () => {
    const body = functionBody("ConvertTo-CertificateRecord").text;
    const names = /foreach \(\$name in @\(([^)]*)\)\)/
      .exec(body)?.[1]
      ?.split(",")
      .map((n) => n.trim().replace(/'/g, ""));
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
    // A certificate from a remote session may carry RawData alone: a property it lacks is left out, not read.
    expect(body).toContain("if (-not (Test-Member $Certificate $name)) { continue }");
    expect(body).toContain("$value = Get-OptionalProperty $Certificate $name");
    expect(body).toContain("$record = New-Object -TypeName PSObject");
    expect(body).toContain("Add-Member -InputObject $record -MemberType NoteProperty -Name Server -Value $ServerName");
    expect(body).toContain("$value = [byte[]] $value");
    expect(body).toMatch(/\n {4}\$record\n\}$/);
    // Pending requests are skipped when the object says so.
    expect(body).toContain("$status = Get-OptionalProperty $Certificate 'Status'");
    expect(body).toContain("if ($null -ne $status -and [string] $status -eq 'PendingRequest') { return }");
    // Both places that read certificates make these records, each saying its server.
    expect(script).toContain(
      "@(Get-ExchangeCertificate -Server $name | ForEach-Object { ConvertTo-CertificateRecord -Certificate $_ -ServerName $name })",
    );
    expect(functionBody("Read-LocalEdgeTransport").text).toContain(
      "@(Get-ExchangeCertificate | ForEach-Object { ConvertTo-CertificateRecord -Certificate $_ -ServerName $edge })",
    );
    // JSON carries RawData as base64, CLIXML as bytes.
    const onPremises = functionBody("Get-OnPremisesState").text;
    expect(onPremises).toContain("$raw.Value = [Convert]::ToBase64String([byte[]] $raw.Value)");
    const convert = nodesOfType(functionBody("Get-OnPremisesState"), "if_statement").find((i) => i.text.includes("ToBase64String"))!;
    expect(convert.childForFieldName("condition")!.text).toBe("$Format -eq 'Json'");
  });

  it("drops the remote session's SerializationData from every Exchange object it reads on premises and online", () => {
    expect(script).toContain("$NotExchangeProperties = @('SerializationData', 'PSComputerName', 'PSShowComputerName', 'RunspaceId')");
    const edge = functionBody("Read-LocalEdgeTransport");
    const reads = commands.filter(
      (c) =>
        !within(c, edge) &&
        /^Get-(Cloud)?(ReceiveConnector|SendConnector|AcceptedDomain|RemoteDomain|HybridConfiguration|InboundConnector|OutboundConnector)$/.test(
          commandName(c),
        ),
    );
    expect(reads).toHaveLength(9);
    for (const read of reads) {
      const pipeline = ancestors(read).find((a) => a.type === "pipeline_chain" || a.type === "pipeline");
      expect(pipeline?.text, commandName(read)).toMatch(/\| Select-ExchangeObject$/);
    }
    // The Edges' connectors come live from the Edge (no remote session there) and go through it on the management server.
    expect(functionBody("Get-OnPremisesState").text).toContain("[void] $receive.Add(($connector | Select-ExchangeObject))");
    // JSON copies the object without them, as it always has; CLIXML removes them in place and keeps the object as it is.
    const select = functionBody("Select-ExchangeObject").text;
    expect(select).toContain("$item | Select-Object -Property * -ExcludeProperty $NotExchangeProperties");
    expect(select).toContain("if ($null -ne $item.PSObject.Properties[$name]) { $item.PSObject.Properties.Remove($name) }");
  });

  it("builds the document in ordered dictionaries, collectedAt in UTC ISO 8601, as JSON (-Depth 6) or CLIXML (-Depth 6)", () => {
    expect(commandsNamed("ConvertTo-Json").map(elementsOf)).toEqual(["-InputObject $document -Depth 6"]);
    expect(guardsOf(commandsNamed("ConvertTo-Json")[0]!)).toContain("$Format -eq 'Json'");
    expect(script).toContain("$serialised = ConvertTo-CliXmlText -InputObject $document -Depth $CliXmlDepth");
    expect(script).toMatch(/\n\$CliXmlDepth = 6\n/);
    expect(commandsNamed("Export-Clixml").map(elementsOf)).toEqual(["-Path $file -InputObject $InputObject -Depth $Depth"]);
    expect(script).toContain("$document['collectedAt'] = (Get-Date).ToUniversalTime().ToString('o')");
    for (const key of ["tenant", "instance", "collectedAt", "onPremises"]) expect(script).toMatch(new RegExp(`\\n {8}\\$document\\['${key}'\\] = `));
    for (const key of ["exchangeOnline", "allowlists", "egressAddresses", "probes", "notCollected"]) {
      expect(script).toContain(`$document['${key}'] = `);
      // A key the app does not read would be refused whole: the document's own fields are strict.
      expect(Object.keys(stateDocumentSchema.shape)).toContain(key);
    }
    const onPremises = functionBody("Get-OnPremisesState").text;
    for (const key of ["receiveConnectors", "sendConnectors", "exchangeCertificates", "acceptedDomains", "remoteDomains", "hybridConfiguration"]) {
      expect(onPremises).toContain(`$state['${key}'] = `);
    }
    // Added in the order the document shows them.
    const order = [...onPremises.matchAll(/\$state\['(\w+)'\] = /g)].map((m) => m[1]);
    expect([...new Set(order)]).toEqual([
      "receiveConnectors",
      "sendConnectors",
      "exchangeCertificates",
      "acceptedDomains",
      "remoteDomains",
      "hybridConfiguration",
    ]);
    // An organization without a hybrid configuration has an empty list, which says "read, none".
    expect(onPremises).toContain("$state['hybridConfiguration'] = $hybrid[0]");
    expect(onPremises).toContain("$state['hybridConfiguration'] = @()");
    for (const key of ["inboundConnectors", "outboundConnectors", "acceptedDomains", "remoteDomains"]) {
      expect(functionBody("Get-ExchangeOnlineState").text).toMatch(new RegExp(`\\n {12}\\$state\\['${key}'\\] = @\\(Get-Cloud`));
    }
    expect(script.match(/New-Object -TypeName System\.Collections\.Specialized\.OrderedDictionary/g)).toHaveLength(5);
  });

  it("lists what it could not read in notCollected, with parts the service accepts, and never skips a failed read silently", () => {
    const parts = partsNamed();
    // Every part the service reads, and the Exchange Online side whole (when it cannot connect).
    expect(new Set(parts)).toEqual(new Set([...STATE_PARTS, "exchangeOnline"]));
    // The shapes New-NotCollected makes: the server only when there is one (the field is optional, not nullable).
    const notCollected = stateDocumentSchema.shape.notCollected;
    for (const part of new Set(parts)) {
      expect(notCollected.safeParse([{ part, reason: "one line" }]).success, part).toBe(true);
      expect(notCollected.safeParse([{ part, server: "EX01", reason: "one line" }]).success, part).toBe(true);
    }
    expect(notCollected.safeParse([{ part: "onPremises.receiveConnectors", server: null, reason: "x" }]).success).toBe(false);
    const entry = functionBody("New-NotCollected").text;
    expect(entry).toContain("if ($ServerName) { $entry['server'] = $ServerName }");
    expect(entry).toContain("$entry['reason'] = ConvertTo-OneLine $Reason");
    expect(functionBody("ConvertTo-OneLine").text).toContain("($Text -replace '\\s+', ' ').Trim()");

    // Every Exchange read but the server list sits in a try whose catch names what was not read.
    const edge = functionBody("Read-LocalEdgeTransport");
    const reads = commands.filter((c) =>
      /^Get-(Cloud|ReceiveConnector|ExchangeCertificate|SendConnector|AcceptedDomain|RemoteDomain|Hybrid)/.test(commandName(c)),
    );
    expect(reads.length).toBe(12);
    for (const read of reads) {
      const tryStatement = ancestors(read).find((a) => a.type === "try_statement")!;
      const handler = tryStatement.namedChildren.find((c) => c.type === "catch_clauses")!;
      const named = within(read, edge) ? "New-NotCollected -Part '" : "Add-NotCollected -Part '";
      expect(handler.text, line(read)).toContain(named);
    }
    // Edges that were not reached, and Edges the organization knows but that were not read, are listed too.
    const readEdges = functionBody("Read-EdgeTransport").text;
    expect(readEdges).toContain('Add-NotCollected -Part $p -ServerName $name -Reason "could not read it over PowerShell remoting: $problem"');
    expect(functionBody("Get-OnPremisesState").text).toContain("if ($edgesTried -notcontains $edge) {");
    // The document carries the list only when there is something in it.
    expect(script).toContain("if ($NotCollected.Count -gt 0) { $document['notCollected'] = $NotCollected.ToArray() }");
  });

  it("writes what the service reads: a certificate with only Server and RawData, an empty hybrid configuration, notCollected", () => {
    // A certificate from a remote session may carry RawData alone; the record adds its Server (JSON: RawData as base64).
    const example = JSON.parse(readFileSync(BEFORE, "utf8"));
    const certificate = example.onPremises.exchangeCertificates[0];
    const document = {
      tenant: "contoso.onmicrosoft.com",
      instance: "Worldwide",
      collectedAt: "2026-11-21T05:00:09.1234567Z",
      onPremises: {
        receiveConnectors: example.onPremises.receiveConnectors,
        sendConnectors: [],
        exchangeCertificates: [{ Server: "EDGE01", RawData: certificate.RawData }],
        acceptedDomains: [],
        remoteDomains: [],
        hybridConfiguration: [],
      },
      notCollected: [
        { part: "onPremises.receiveConnectors", server: "EDGE02", reason: "could not read it over PowerShell remoting: access is denied" },
        { part: "exchangeOnline", reason: "could not connect to Exchange Online: the certificate was not found" },
      ],
    };
    const { hybrid } = readStateDocument(document, "a document as the collector writes it");
    expect(hybrid.onPremises?.exchangeCertificates).toEqual([
      expect.objectContaining({ server: "EDGE01", thumbprint: certificate.Thumbprint, subject: certificate.Subject }),
    ]);
    expect(hybrid.onPremises?.hybridConfiguration ?? null).toBeNull();
    expect(hybrid.notCollected).toEqual(document.notCollected);
  });

  it("reads Edge Transport servers over remoting with Exchange's snap-in, or from the file the Edge wrote", () => {
    const edge = functionBody("Read-LocalEdgeTransport").text;
    // Exchange 2013 and later register ...SnapIn, Exchange 2010 ...E2010; the first one registered is loaded.
    expect(edge).toContain(
      "foreach ($name in @('Microsoft.Exchange.Management.PowerShell.SnapIn', 'Microsoft.Exchange.Management.PowerShell.E2010'))",
    );
    expect(edge).toContain("if (-not $snapIn -and (Get-PSSnapin -Registered -Name $name -ErrorAction SilentlyContinue)) { $snapIn = $name }");
    expect(edge).toContain("Add-PSSnapin -Name $snapIn");
    // Only on an Edge: the registry says so for Exchange 2010 (v14) and later (v15).
    expect(edge).toContain("HKLM:\\SOFTWARE\\Microsoft\\ExchangeServer\\v15\\EdgeTransportRole");
    expect(edge).toContain("HKLM:\\SOFTWARE\\Microsoft\\ExchangeServer\\v14\\EdgeTransportRole");
    expect(edge).toContain("$part['format'] = $PartFormat");
    expect(edge).toContain("ConvertTo-CliXmlText -InputObject $part -Depth $Depth");

    // What runs on the Edge is sent as text: the functions it calls, and nothing of this script's own variables.
    const sent = /\$EdgeFunctions = @\(([^)]*)\)/
      .exec(script)![1]!
      .split(",")
      .map((n) => n.trim().replace(/'/g, ""));
    const closure = new Set<string>(["read-localedgetransport"]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const name of [...closure]) {
        for (const c of commandsIn(functionBody(name))) {
          const called = commandName(c).toLowerCase();
          if (functions.has(called) && !closure.has(called)) {
            closure.add(called);
            grew = true;
          }
        }
      }
    }
    expect(new Set(sent.map((n) => n.toLowerCase()))).toEqual(closure);
    const AUTOMATIC = new Set(["_", "null", "true", "false", "erroractionpreference", "env:computername"]);
    for (const name of sent) {
      const body = functionBody(name);
      const own = new Set([
        ...nodesOfType(body, "script_parameter").map((p) => variableName(p.descendantsOfType("variable").at(-1)!)),
        ...nodesOfType(body, "left_assignment_expression").map((l) => variableName(l.descendantsOfType("variable")[0]!)),
        ...nodesOfType(body, "foreach_statement").map((f) => variableName(f.namedChildren.find((c) => c.type === "variable")!)),
      ]);
      for (const v of nodesOfType(body, "variable")) {
        expect(own.has(variableName(v)) || AUTOMATIC.has(variableName(v)), `${name} uses $${variableName(v)}, which the Edge does not have`).toBe(
          true,
        );
      }
    }
    const reader = functionBody("New-EdgeTransportReader").text;
    expect(reader).toContain('"function $name {`n" + (Get-Command -Name $name -CommandType Function).ScriptBlock.ToString() + "`n}"');
    expect(reader).toContain(
      '[ScriptBlock]::Create("param([int] `$Depth, [string] `$PartFormat)`n" + ($definitions -join "`n") + "`nRead-LocalEdgeTransport -Depth `$Depth -PartFormat `$PartFormat")',
    );

    const read = functionBody("Read-EdgeTransport").text;
    expect(read).toContain(
      "$invoke = @{ ComputerName = $name; ScriptBlock = $reader; ArgumentList = @($CliXmlDepth, $EdgePartFormat); ErrorAction = 'Stop' }",
    );
    expect(read).toContain("if ($null -ne $credential) { $invoke['Credential'] = $credential }");
    expect(read).toContain("if ($EdgeUseSsl) { $invoke['UseSSL'] = $true }");
    expect(commandsNamed("Invoke-Command").map(elementsOf)).toEqual(["@invoke"]);
    // A file is used only when it is an Edge part, and not when the Edge stopped writing it.
    expect(functionBody("Test-EdgePart").text).toContain("-ne $EdgePartFormat");
    expect(read).toContain(".TotalHours -gt 48");
    // The -EdgeOutFile run writes the same part the remote read returns.
    expect(script).toContain("$serialised = Read-LocalEdgeTransport -Depth $CliXmlDepth -PartFormat $EdgePartFormat");
    expect(script).toContain("Write-TextFile -Path $EdgeOutFile -Content $serialised");
    // The credential goes to Invoke-Command only.
    for (const v of nodesOfType(tree.rootNode, "variable").filter((v) => variableName(v) === "credential")) {
      expect(within(v, functionBody("Read-EdgeTransport")), line(v)).toBe(true);
    }
  });

  it("runs on PowerShell 2.0 (the Exchange 2010 shell): no construct or .NET member it lacks outside a version check", () => {
    for (const t of nodesOfType(tree.rootNode, "type_literal")) {
      expect(t.text.toLowerCase(), line(t)).not.toMatch(/^\[(ordered|pscustomobject)\]$/);
    }
    for (const n of [...nodesOfType(tree.rootNode, "invokation_expression"), ...nodesOfType(tree.rootNode, "member_access")]) {
      expect(memberOf(n)?.name.toLowerCase(), line(n)).not.toBe("new");
      // Methods of PowerShell 4.0 and of .NET 4 or later.
      expect(["foreach", "where", "isnullorwhitespace", "hasflag", "copyto", "is64bitprocess"], line(n)).not.toContain(
        memberOf(n)?.name.toLowerCase(),
      );
    }
    expect(script).not.toMatch(/::Tls1[23]\b|\[[\w.]*PSSerializer\]|\$PSItem|\$using:|^\s*(class|enum|using)\s/im);
    for (const o of nodesOfType(tree.rootNode, "comparison_operator")) expect(["-in", "-notin", "-shl", "-shr"]).not.toContain(o.text.toLowerCase());
    // Where-Object and ForEach-Object always with a script block: the simplified syntax came with 3.0.
    for (const c of [...commandsNamed("Where-Object"), ...commandsNamed("ForEach-Object")]) expect(elementsOf(c), line(c)).toMatch(/^\{/);
    // Parameters that 2.0's cmdlets lack.
    for (const c of commandsNamed("Add-Member")) expect(elementsOf(c)).not.toMatch(/-NotePropertyName|-NotePropertyMembers|-NotePropertyValue/);
    for (const c of [...commandsNamed("Export-Clixml"), ...commandsNamed("Import-Clixml")]) expect(elementsOf(c)).toMatch(/^-Path \$file\b/);
    expect([...commandsNamed("Invoke-RestMethod"), ...commandsNamed("Invoke-WebRequest"), ...commandsNamed("Get-Content")]).toEqual([]);
    // An assignment from an if statement is a later form; plain if/else is not.
    expect(script).not.toMatch(/=\s*if\s*\(/);

    // The cmdlets of 3.0 and later run only where the version was checked: JSON, which Test-Parameter refuses below 3.0,
    // the JSON reader's own version branch, and Exchange Online, which Test-Parameter refuses below 5.1.
    const modern = [...commandsNamed("ConvertTo-Json"), ...commandsNamed("ConvertFrom-Json"), ...commandsNamed("Import-Module")];
    expect(modern).toHaveLength(3);
    for (const c of modern) {
      const guarded =
        guardsOf(c).some((g) => g === "$Format -eq 'Json'" || g === "$PowerShellVersion.Major -ge 3") ||
        within(c, functionBody("Get-ExchangeOnlineState"));
      expect(guarded, line(c)).toBe(true);
    }
    for (const c of commandsNamed("Get-ExchangeOnlineState")) expect(guardsOf(c)).toContain("$ConnectExchangeOnline");
    const check = functionBody("Test-Parameter").text;
    expect(check).toContain("if ($Format -eq 'Json' -and $PowerShellVersion.Major -lt 3) {");
    expect(check).toContain("if ($PowerShellVersion -lt [Version] '5.1') {");
    expect(script).toContain("if ($PowerShellVersion.Major -ge 3) { $Format = 'Json' } else { $Format = 'CliXml' }");
    expect(script).toContain("$PowerShellVersion = $PSVersionTable['PSVersion']");
    // PowerShell 2.0 reads JSON with the JavaScriptSerializer of .NET 3.5.
    const json = functionBody("ConvertFrom-JsonText").text;
    expect(json).toContain("Add-Type -AssemblyName System.Web.Extensions");
    expect(json).toContain("$serializer = New-Object -TypeName System.Web.Script.Serialization.JavaScriptSerializer");
    expect(commandsNamed("ConvertFrom-Json").map(elementsOf)).toEqual([""]);
    // An exception made the 2.0 way.
    expect(functionBody("Stop-Collection").text).toContain("throw (New-Object -TypeName System.ArgumentException -ArgumentList $Message)");
  });

  it("is safe under Set-StrictMode -Version Latest: Exchange properties are read only through Get-OptionalProperty", () => {
    // The members the script reads with `.` are those of .NET and PowerShell objects it made or knows; an Exchange object's
    // property (which a deserialised object may lack) is never among them.
    const ALLOWED = new Set([
      "Add",
      "AllowAutoRedirect",
      "Close",
      "Contains",
      "ContainsKey",
      "ContentLength",
      "ContentType",
      "Count",
      "DeserializeObject",
      "Exception",
      "GetBytes",
      "GetLeftPart",
      "GetRequestStream",
      "GetResponse",
      "GetResponseStream",
      "GetUnresolvedProviderPathFromPSPath",
      "Headers",
      "InnerException",
      "IsLoopback",
      "Length",
      "Major",
      "MaxJsonLength",
      "Message",
      "Method",
      "PSObject",
      "Parameters",
      "Password",
      "Path",
      "Properties",
      "Query",
      "ReadToEnd",
      "ReadWriteTimeout",
      "Remove",
      "Response",
      "Scheme",
      "ScriptBlock",
      "SessionState",
      "StartsWith",
      "StatusCode",
      "Substring",
      "Timeout",
      "ToArray",
      "ToLowerInvariant",
      "ToString",
      "ToUniversalTime",
      "TotalHours",
      "Trim",
      "Value",
      "Write",
      "WriteLine",
    ]);
    const EXCHANGE = ["Services", "Status", "Name", "ServerRole", "IsEdgeServer", "RawData", "Identity", "Thumbprint", "Subject", "Issuer"];
    const used = new Set<string>();
    for (const n of [...nodesOfType(tree.rootNode, "member_access"), ...nodesOfType(tree.rootNode, "invokation_expression")]) {
      const member = memberOf(n);
      if (member?.operator !== ".") continue;
      used.add(member.name);
      expect(ALLOWED.has(member.name), `${line(n)} reads .${member.name}`).toBe(true);
      expect(EXCHANGE).not.toContain(member.name);
    }
    expect(used.has("PSObject")).toBe(true);
    // The one reader, and the way it reads: PSObject.Properties[name] is null for a missing property, never an error.
    const reader = functionBody("Get-OptionalProperty").text;
    expect(reader).toContain("$property = $InputObject.PSObject.Properties[$Name]");
    expect(reader).toContain("if ($null -eq $property) { return $null }");
    expect(reader).toContain("if ($InputObject.Contains($Name)) { return , $InputObject[$Name] }");
    // The server list's role and name, and the certificate's status, go through it.
    expect(functionBody("Get-OnPremisesState").text).toContain("[string] (Get-OptionalProperty $entry 'ServerRole') -match 'Edge'");
    expect(functionBody("Get-OnPremisesState").text).toContain("$name = [string] (Get-OptionalProperty $entry 'Name')");
    // `.Count` only on arrays: PowerShell 2.0 has no Count on a single object, and strict mode throws for it.
    const values = assignments();
    for (const n of nodesOfType(tree.rootNode, "member_access").filter((m) => memberOf(m)?.name === "Count")) {
      const target = n.namedChildren[0]!;
      if (target.type === "array_expression") continue;
      expect(target.type, line(n)).toBe("variable");
      const assigned = values.get(variableName(target)) ?? [];
      expect(assigned.length, line(n)).toBeGreaterThan(0);
      for (const a of assigned) {
        expect(
          a.operator === "+=" || a.value.startsWith("@(") || a.value === "New-Object -TypeName System.Collections.ArrayList",
          `${line(n)}: $${variableName(target)} = ${a.value.slice(0, 60)}`,
        ).toBe(true);
      }
    }
    // foreach over @(...) only: PowerShell 2.0 runs a foreach once over $null, and the list parameters are made arrays first.
    for (const f of nodesOfType(tree.rootNode, "foreach_statement")) {
      expect(f.children.find((c) => c.type === "pipeline")!.text, line(f)).toMatch(/^@\(/);
    }
    for (const name of ["EgressAddress", "ProbePath", "Server", "EdgeServer", "EdgeStatePath"]) {
      expect(script).toContain(`$${name} = @(Split-List $${name})`);
    }
    // Lists that Get-OptionalProperty returns whole are assigned before they are enumerated, never piped.
    expect(script).not.toMatch(/@\(Get-OptionalProperty[^)]*\|/);
  });

  it("posts UTF-8 bytes with HttpWebRequest, the key in the x-functions-key header, over TLS 1.2, without following redirects", () => {
    const send = functionBody("Send-Document").text;
    expect(send).toContain("$body = [System.Text.Encoding]::UTF8.GetBytes($Content)");
    expect(send).toContain("$request = [System.Net.WebRequest]::Create($IngestUrl)");
    expect(send).toContain("$request.Method = 'POST'");
    expect(send).toContain("$request.ContentType = $ContentType");
    expect(send).toContain("$request.Headers.Add('x-functions-key', $Key)");
    expect(send).toContain("$request.AllowAutoRedirect = $false");
    expect(send).toContain("$request.Timeout = 120000");
    expect(send.indexOf("Enable-Tls12")).toBeLessThan(send.indexOf("GetRequestStream"));
    expect(send).toContain("if ($status -lt 200 -or $status -gt 299)");
    // .NET 3.5 has no Tls12 name, and PowerShell refuses to cast an undefined value to an enum: Enum.ToObject makes it.
    const tls = functionBody("Enable-Tls12").text;
    expect(tls).toContain("$protocols = ([int] [System.Net.ServicePointManager]::SecurityProtocol) -bor 3072");
    expect(tls).toContain(
      "[System.Net.ServicePointManager]::SecurityProtocol = [System.Enum]::ToObject([System.Net.SecurityProtocolType], $protocols)",
    );
    expect(tls).toMatch(/KB3154518/);
    // The content type follows the format.
    expect(script).toContain("$contentType = 'application/json; charset=utf-8'");
    expect(script).toContain("$contentType = 'application/xml; charset=utf-8'");
    expect(script).toContain("Send-Document -Content $serialised -ContentType $contentType -Key $key");
    // The service's one-line refusal is kept from the response body.
    expect(functionBody("Get-WebErrorText").text).toContain("$responseText = $reader.ReadToEnd()");
  });

  it("writes -OutFile and -EdgeOutFile as UTF-8 without a byte order mark, replacing a file only when the text is complete", () => {
    const write = functionBody("Write-TextFile").text;
    expect(write).toContain(
      "[System.IO.File]::WriteAllText($temporary, $Content, (New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false))",
    );
    expect(write.indexOf("WriteAllText")).toBeLessThan(write.indexOf("[System.IO.File]::Replace($temporary, $full, $null)"));
    expect([...commandsNamed("Out-File"), ...commandsNamed("Set-Content")]).toEqual([]);
    // CLIXML is made in a temporary file (Export-Clixml writes only files) that is always removed.
    const clixml = functionBody("ConvertTo-CliXmlText").text;
    expect(clixml).toContain("$file = [System.IO.Path]::GetTempFileName()\n    try {\n        Export-Clixml -Path $file");
    expect(clixml).toContain("        [System.IO.File]::ReadAllText($file)\n    } finally {\n        [System.IO.File]::Delete($file)\n    }");
  });

  it("is fit for a scheduled task: strict, stops on errors, never prompts, one line on stderr, exit 0 or 1", () => {
    expect(script).toMatch(/\nSet-StrictMode -Version Latest\n\$ErrorActionPreference = 'Stop'\n/);
    const paramBlock = tree.rootNode.descendantsOfType("param_block").find((p) => !ancestors(p!).some((a) => a.type === "function_statement"))!;
    expect(paramBlock.text).not.toMatch(/Mandatory\s*=|\[Parameter\(/i);
    const code = script.slice(script.indexOf("#>"));
    expect(code).not.toMatch(/Read-Host|Get-Credential|\$Host\.UI/i);
    expect(code.match(/\bexit (\d)/g)).toEqual(["exit 0", "exit 1"]);
    expect(code).toContain('[Console]::Error.WriteLine("Collect-MailflowState: $LogLabel`: $message")');
    // The message is made one line before it is written.
    expect(code).toContain("$message = ($_.Exception.Message -replace '\\s+', ' ').Trim()");
    // -EdgeOutFile takes no other parameter but -LogPath.
    const check = functionBody("Test-Parameter");
    const edgeOnly = nodesOfType(check, "if_statement")[0]!;
    expect(edgeOnly.childForFieldName("condition")!.text).toBe("$EdgeOutFile");
    const declared = paramBlock.descendantsOfType("script_parameter").map((p) => p!.descendantsOfType("variable").at(-1)!.text);
    // Instance has a default, so it cannot tell whether it was given.
    for (const name of declared.filter((n) => !["$EdgeOutFile", "$LogPath", "$Instance"].includes(n))) {
      expect(edgeOnly.text).toMatch(new RegExp(`\\${name}\\b`));
    }
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
    expect([...tainted].sort()).toEqual(["functionkey", "key", "keytext", "secure"]);

    const WRITERS = new Set(
      ["Write-Host", "Write-Output", "Write-Verbose", "Write-Warning", "Write-Error", "Write-Information", "Add-Content", "Set-Content", "Out-File"]
        .concat(["Start-Transcript", "Write-Log", "Stop-Collection", "Add-NotCollected", "New-NotCollected"])
        .map((n) => n.toLowerCase()),
    );
    // Write-Log and Stop-Collection are writers because their text is logged or printed; the notCollected reasons are uploaded.
    expect(functionBody("Write-Log").text).toContain("Add-Content -LiteralPath $LogPath -Value $line");
    expect(functionBody("Write-Log").text).toContain("Write-Verbose -Message $Message");
    expect(functionBody("Stop-Collection").text).toContain("throw");
    const writes = [
      ...commands.filter((c) => WRITERS.has(commandName(c).toLowerCase())),
      ...nodesOfType(tree.rootNode, "invokation_expression").filter((i) => i.text.startsWith("[Console]::Error.WriteLine(")),
      ...nodesOfType(tree.rootNode, "flow_control_statement").filter((f) => f.text.startsWith("throw")),
    ];
    expect(writes.length).toBeGreaterThan(50);
    for (const w of writes) expect(mentionsKey(w), line(w)).toBe(false);

    // Positively: the key is only read, checked, passed to Send-Document and put in the header.
    const uses = nodesOfType(tree.rootNode, "variable").filter((v) => tainted.has(variableName(v)));
    for (const use of uses) {
      const up = ancestors(use);
      const allowed =
        within(use, readKey) ||
        up.some((a) => a.type === "script_parameter" || a.type === "left_assignment_expression") ||
        up.some((a) => a.type === "invokation_expression" && a.text === "$request.Headers.Add('x-functions-key', $Key)") ||
        up.some((a) => a.type === "command" && /^-Content \$serialised -ContentType \$contentType -Key \$key$/.test(elementsOf(a))) ||
        (within(use, functionBody("Test-Parameter")) &&
          up.some((a) => (a.type === "if_statement" || a.type === "elseif_clause") && within(use, a.childForFieldName("condition"))));
      expect(allowed, line(up[0]!)).toBe(true);
    }
    // A transcript would record the command line, key and all, in its header.
    expect(script).not.toMatch(/Start-Transcript/);
  });

  it("documents every parameter of its param block in comment-based help, with scheduled-task and Edge examples", () => {
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
      "Format",
      "AllowlistPath",
      "EgressAddress",
      "ProbePath",
      "Server",
      "EdgeServer",
      "EdgeCredential",
      "EdgeCredentialPath",
      "EdgeUseSsl",
      "EdgeStatePath",
      "EdgeOutFile",
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
    // The versions, the formats and the Edge are said where an admin reads them.
    for (const words of ["Exchange 2010", "PowerShell 2.0", "CLIXML", "Export-Clixml -Depth 6", "-EdgeOutFile", "-EdgeStatePath", "notCollected"]) {
      expect(help).toContain(words);
    }
    expect(help).toContain("Microsoft.Exchange.Management.PowerShell.SnapIn");
    expect(help).toContain("Microsoft.Exchange.Management.PowerShell.E2010");
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
