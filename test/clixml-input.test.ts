/**
 * Export-Clixml output where admins give it: `check --inventory` (one file,
 * or several cmdlets' files as one state document) and `POST /api/inventory`
 * (raw receive connectors, and the collector's CLIXML state document), in the
 * bytes Export-Clixml writes (UTF-16 LE with a byte order mark by default).
 */
import { mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../src/cli/cli.js";
import { startFeedServer } from "../src/feed/stand-in-service.js";
import type { HandlerDeps } from "../src/handlers/deps.js";
import { uploadInventory } from "../src/handlers/inventory-upload.js";
import { loadInventory } from "../src/inventory/inventory-store.js";
import { CAPTURES, captureText } from "./support/exchange-captures.js";
import { worldwide } from "./support/feed.js";
import { azuriteDeps, invocation, request } from "./support/handlers.js";

const FEED = new URL("./fixtures/m365/endpoints-worldwide-2025.json", import.meta.url).pathname;
const TENANT = "contoso.onmicrosoft.com";

/** Text as Windows PowerShell's Export-Clixml writes it by default: UTF-16 LE with a byte order mark. */
function utf16(text: string): Uint8Array {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace(/^\uFEFF/, ""), "utf16le")]);
}

/** A capture's objects with their reference ids moved by `offset`, so that several can share one CLIXML document. */
function objectsOf(file: string, offset: number): string {
  const body = captureText(file)
    .replace(/^\uFEFF?<Objs[^>]*>/, "")
    .replace(/<\/Objs>\s*$/, "");
  return body.replace(/RefId="(\d+)"/g, (_, id: string) => `RefId="${Number(id) + offset}"`);
}

/**
 * The collector's document on PowerShell 2.0: Export-Clixml of one ordered
 * dictionary with the JSON document's keys, the cmdlets' objects inside.
 */
function collectorDocument(): string {
  const entry = (key: string, value: string) => `<En><S N="Key">${key}</S>${value.replace(/^<(\w+)/, '<$1 N="Value"')}</En>`;
  const dictionary = (id: number, entries: string[]) =>
    `<Obj RefId="${id}"><TN RefId="${id}"><T>System.Collections.Specialized.OrderedDictionary</T><T>System.Object</T></TN><DCT>${entries.join("")}</DCT></Obj>`;
  const list = (id: number, items: string) =>
    `<Obj RefId="${id}"><TN RefId="${id}"><T>System.Object[]</T><T>System.Array</T><T>System.Object</T></TN><LST>${items}</LST></Obj>`;
  const onPremises = dictionary(90_001, [
    entry("receiveConnectors", list(90_002, objectsOf("EI-GetReceiveConnector.xml", 1000))),
    entry("sendConnectors", list(90_003, objectsOf("EI-GetSendConnector.xml", 5000))),
    entry("exchangeCertificates", list(90_004, objectsOf("EI-GetExchangeCertificate.xml", 9000))),
    entry("hybridConfiguration", list(90_005, "")),
  ]);
  const root = dictionary(90_000, [
    entry("tenant", `<S>${TENANT}</S>`),
    entry("instance", "<S>Worldwide</S>"),
    entry("collectedAt", "<S>2026-11-22T05:00:00Z</S>"),
    entry("onPremises", onPremises),
    entry(
      "notCollected",
      list(
        90_006,
        dictionary(90_007, [entry("part", "<S>onPremises.acceptedDomains</S>"), entry("reason", "<S>Get-AcceptedDomain: access denied</S>")]),
      ),
    ),
  ]);
  return `\uFEFF<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">\r\n  ${root}\r\n</Objs>`;
}

async function run(args: string[]) {
  let stdout = "";
  let stderr = "";
  const cwd = mkdtempSync(join(tmpdir(), "mfg-clixml-"));
  const code = await cli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, cwd });
  return { code, stdout, stderr };
}

describe("check --inventory with Export-Clixml files", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "mfg-clixml-files-"));
  });

  it("checks one file of raw receive connectors as an inventory, as it checks their JSON", async () => {
    const rc = join(dir, "rc.xml");
    writeFileSync(rc, utf16(captureText("E19-GetReceiveConnector.xml")));
    const { code, stdout, stderr } = await run(["check", "--inventory", rc, "--tenant", TENANT, "--feed-file", FEED, "--json"]);
    expect(stderr).toBe("");
    expect(code).toBe(2);
    const report = JSON.parse(stdout);
    expect(report.targets.map((t: { name: string }) => t.name)).toContain("WIN-CTD3L0RGEN4\\Default Frontend WIN-CTD3L0RGEN4");
    expect(report.hybrid).toBeUndefined();
  });

  it("makes several cmdlets' files one state document, collected when the oldest was written", async () => {
    const files = ["EI-GetReceiveConnector.xml", "EI-GetSendConnector.xml", "EI-GetExchangeCertificate.xml"].map((name, i) => {
      const path = join(dir, name);
      writeFileSync(path, utf16(captureText(name)));
      utimesSync(path, new Date(`2026-08-0${i + 1}T00:00:00Z`), new Date(`2026-08-0${i + 1}T00:00:00Z`));
      return path;
    });
    const args = ["check", ...files.flatMap((f) => ["--inventory", f]), "--tenant", TENANT, "--feed-file", FEED, "--json"];
    const { code, stdout, stderr } = await run(args);
    expect(stderr).toBe("");
    expect(code).toBe(2);
    const report = JSON.parse(stdout);
    expect(report.hybrid.collectedAt).toBe("2026-08-01T00:00:00.000Z");
    // Checked today, the lab's certificates have expired (6 August 2026): the ones the connectors name are reported.
    const rules = report.findings.map((f: { rule: string; subject: { name: string } }) => `${f.rule} ${f.subject.name}`);
    expect(rules).toContain("certificate-expired CN=WIN-CTD3L0RGEN4 (611C687DFC4343A5A03E0005A1EC6E9B6AFF586D)");
    expect(rules).toContain("hybrid-receive-not-trusted contoso.onmicrosoft.com");
    expect(report.hybrid.notChecked.map((n: { reason: string }) => n.reason)).toContain(
      "the state document has no onPremises.acceptedDomains (Get-AcceptedDomain)",
    );
  });

  it("refuses raw output without --tenant, and an object no cmdlet of these wrote, naming the file and entry", async () => {
    const cert = join(CAPTURES, "EI-GetExchangeCertificate.xml");
    expect((await run(["check", "--inventory", cert, "--feed-file", FEED])).stderr).toMatch(
      /EI-GetExchangeCertificate\.xml: is raw cmdlet output, which names no tenant: give the tenant \(--tenant\)\n$/,
    );
    const odd = join(dir, "odd.json");
    writeFileSync(
      odd,
      JSON.stringify([{ Thumbprint: "A".repeat(40), NotAfter: "2030-01-01T00:00:00Z", Subject: "CN=a", Issuer: "CN=a" }, { Colour: "blue" }]),
    );
    const { code, stderr } = await run(["check", "--inventory", odd, "--inventory", cert, "--tenant", TENANT, "--feed-file", FEED]);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /odd\.json: \[1\]: is not an object this check reads: expected the objects of Get-ReceiveConnector, Get-ExchangeCertificate/,
    );
  });

  it("says what is wrong with the files an admin mixes up, before asking for a tenant", async () => {
    const state = new URL("../examples/hybrid/state-after-renewal.json", import.meta.url).pathname;
    const send = join(CAPTURES, "EI-GetSendConnector.xml");
    expect((await run(["check", "--inventory", state, "--inventory", send, "--feed-file", FEED])).stderr).toMatch(
      /state-after-renewal\.json: is an inventory or a state document: give it alone, or give only raw cmdlet output/,
    );
    const packageJson = new URL("../package.json", import.meta.url).pathname;
    expect((await run(["check", "--inventory", packageJson, "--tenant", TENANT, "--feed-file", FEED])).stderr).toMatch(
      /package\.json: is not an inventory \("tenant" and its targets\), a state document \("collectedAt"\) or raw cmdlet output: expected the objects of Get-ReceiveConnector/,
    );
    const empty = join(dir, "empty.json");
    writeFileSync(empty, "\uFEFF\r\n");
    expect((await run(["check", "--inventory", empty, "--feed-file", FEED])).stderr).toMatch(/empty\.json: is empty: expected JSON or CLIXML/);
  });

  it("takes an empty export (a cmdlet that found nothing) beside the others, and refuses exports that are all empty", async () => {
    const none = join(dir, "hybrid.xml");
    writeFileSync(none, '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04" />');
    const rc = join(CAPTURES, "EI-GetReceiveConnector.xml");
    const taken = await run(["check", "--inventory", rc, "--inventory", none, "--tenant", TENANT, "--feed-file", FEED, "--json"]);
    expect(taken.stderr).toBe("");
    expect(JSON.parse(taken.stdout).hybrid).toBeDefined();
    const refused = await run(["check", "--inventory", none, "--inventory", none, "--tenant", TENANT, "--feed-file", FEED]);
    expect(refused.stderr).toMatch(/hybrid\.xml, .*hybrid\.xml: hold no objects \(every export is empty\)/);
  });

  it("says where a CLIXML file is broken, by line", async () => {
    const broken = join(dir, "broken.xml");
    writeFileSync(broken, captureText("EI-GetSendConnector.xml").replace('<B N="Enabled">true</B>', '<B N="Enabled">true</I32>'));
    const { code, stderr } = await run(["check", "--inventory", broken, "--tenant", TENANT, "--feed-file", FEED]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/broken\.xml: line \d+: <\/I32> closes <B> \(line \d+\)\n$/);
  });
});

describe("POST /api/inventory with Export-Clixml output", () => {
  let deps: HandlerDeps;
  let server: Awaited<ReturnType<typeof startFeedServer>>;
  beforeAll(async () => {
    server = await startFeedServer({ Worldwide: { version: "2025060100", endpoints: worldwide() } });
    const base = await azuriteDeps(server.url, { now: new Date("2026-11-22T05:00:00Z") });
    // CLIXML carries each object's SerializationData: a capture of five connectors is 300 KB, twice that in UTF-16.
    deps = { ...base, settings: { ...base.settings, maxInventoryBytes: 4_000_000 } };
  });
  afterAll(() => server.close());

  async function upload(body: string | Uint8Array, contentType: string, query = "") {
    const { context } = invocation("uploadInventory");
    const response = await uploadInventory(async () => deps)(
      request("POST", `https://mfg.example.net/api/inventory${query}`, { body, headers: { "Content-Type": contentType } }),
      context,
    );
    return { status: response.status, body: response.jsonBody as Record<string, unknown> };
  }

  it("takes raw receive connectors as application/xml, in UTF-16 as Export-Clixml writes them", async () => {
    const tenant = "fabrikam.onmicrosoft.com";
    const { status, body } = await upload(utf16(captureText("E19-GetReceiveConnector.xml")), "application/xml; charset=utf-16", `?tenant=${tenant}`);
    expect(status).toBe(201);
    expect(body.receiveConnectors).toBe(5);
    const stored = await loadInventory(deps.store, tenant);
    expect(stored?.receiveConnectors.map((c) => c.identity)).toContain("WIN-CTD3L0RGEN4\\Default Frontend WIN-CTD3L0RGEN4");
  });

  it("takes the collector's CLIXML state document, what it could not read included", async () => {
    const { status } = await upload(collectorDocument(), "application/xml; charset=utf-8");
    expect(status).toBeLessThan(300);
    const stored = await loadInventory(deps.store, TENANT);
    const hybrid = stored!.hybrid!;
    expect(hybrid.onPremises?.hybridConfiguration).toBeNull();
    expect(hybrid.onPremises?.exchangeCertificates?.map((c) => c.thumbprint.slice(0, 8))).toContain("611C687D");
    expect(hybrid.onPremises?.sendConnectors?.[0]?.smartHosts).toEqual(["microsoft-com.mail.protection.outlook.com"]);
    expect(hybrid.notCollected).toEqual([{ part: "onPremises.acceptedDomains", reason: "Get-AcceptedDomain: access denied" }]);
  });

  it("refuses raw output of other cmdlets than Get-ReceiveConnector, saying what to send", async () => {
    const { status, body } = await upload(captureText("EI-GetExchangeCertificate.xml"), "application/xml", `?tenant=${TENANT}`);
    expect(status).toBe(400);
    expect(body.error).toBe(
      "request body: is raw cmdlet output other than Get-ReceiveConnector's: send a state document (the collector writes one), " +
        "or give each cmdlet's export to check --inventory, which makes them one",
    );
  });

  it("refuses XML that is not CLIXML, and CLIXML sent as JSON, in one line", async () => {
    expect(await upload("<html><body/></html>", "text/xml")).toEqual({
      status: 400,
      body: { error: "request body: is not CLIXML (expected what Export-Clixml writes, <Objs …>)" },
    });
    expect(await upload(captureText("E19-GetSendConnector.xml"), "application/json")).toEqual({
      status: 400,
      body: { error: "request body: is XML: send it as application/xml" },
    });
  });

  it("refuses a document type declaration, with which XML bombs are built", async () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><Objs Version="1.1.0.1"><S>&lol;</S></Objs>';
    const { status, body } = await upload(bomb, "application/xml");
    expect(status).toBe(400);
    expect(body.error).toBe("request body: line 1: has a document type declaration, which CLIXML never has");
  });
});
