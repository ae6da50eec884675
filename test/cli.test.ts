import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../src/cli/cli.js";
import { startFeedServer } from "../src/feed/stand-in-service.js";
import { FileStateStore } from "../src/state/file-store.js";
import { EOP_WORLDWIDE, worldwide, worldwideWithEop } from "./support/feed.js";
import { startTeamsStandIn } from "./support/teams-stand-in.js";

const FIXTURE = new URL("./fixtures/m365/endpoints-worldwide-2025.json", import.meta.url).pathname;
const DEMO_INVENTORY = new URL("../examples/demo/inventory.json", import.meta.url).pathname;
const RAW = new URL("../examples/get-receiveconnector.json", import.meta.url).pathname;

async function run(args: string[], env: Record<string, string> = {}, cwd = mkdtempSync(join(tmpdir(), "mfg-cli-"))) {
  let stdout = "";
  let stderr = "";
  const code = await cli(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env,
    cwd,
  });
  return { code, stdout, stderr, cwd };
}

function file(dir: string, name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" || content instanceof Uint8Array ? content : JSON.stringify(content));
  return path;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mfg-cli-files-"));
});

describe("feed and diff", () => {
  it("feed --feed-file --json prints the EOP SMTP set as a minimal CIDR cover", async () => {
    const { code, stdout } = await run(["feed", "--feed-file", FIXTURE, "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      instance: "Worldwide",
      version: null,
      ranges: ["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17"],
      setIds: [10],
    });
  });

  it("feed asks the live service (version first) and caches the snapshot in the state directory", async () => {
    const server = await startFeedServer({ Worldwide: { version: "2025060100", endpoints: worldwide() } });
    try {
      const cwd = mkdtempSync(join(tmpdir(), "mfg-cli-"));
      const { code, stdout } = await run(["feed", "--json"], { M365_ENDPOINTS_BASE_URL: server.url }, cwd);
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ instance: "Worldwide", version: "2025060100", ranges: EOP_WORLDWIDE });
      expect(readdirSync(join(cwd, ".mailflow-guard"))).toEqual(expect.arrayContaining(["feed", "installation"]));
      expect(server.requests.map((r) => r.path)).toEqual(["/version/Worldwide", "/endpoints/Worldwide"]);
    } finally {
      await server.close();
    }
  });

  it("feed says why when the live feed is refused and none was ever accepted", async () => {
    const server = await startFeedServer({
      Worldwide: {
        version: "2025060100",
        endpoints: worldwide((sets) =>
          sets.splice(
            sets.findIndex((s) => s.id === 10),
            1,
          ),
        ),
      },
    });
    try {
      const { code, stdout, stderr } = await run(["feed"], { M365_ENDPOINTS_BASE_URL: server.url });
      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr).toBe(
        "mailflow-guard: the Worldwide feed was refused (it has no Exchange endpoint set with TCP port 25 (the EOP SMTP set)) and no earlier feed " +
          "was ever accepted, so there is nothing to check against\n",
      );
    } finally {
      await server.close();
    }
  });

  it("diff prints added and removed ranges", async () => {
    const to = file(dir, "to.json", worldwideWithEop(["40.92.0.0/16", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17", "2a01:111:f400::/48"]));
    const { code, stdout } = await run(["diff", "--from", FIXTURE, "--to", to, "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ added: ["2a01:111:f400::/48"], removed: ["40.93.0.0/16"] });
    const human = await run(["diff", "--from", FIXTURE, "--to", to]);
    expect(human.stdout).toBe("+ 2a01:111:f400::/48\n- 40.93.0.0/16\n");
  });
});

describe("check", () => {
  it("finds the demo tenant's drift: exit 2, the JSON contract, the files in --out", async () => {
    const { code, stdout, cwd } = await run(["check", "--inventory", DEMO_INVENTORY, "--feed-file", FIXTURE, "--json"]);
    expect(code).toBe(2);
    const result = JSON.parse(stdout);
    expect(result.status).toBe("drift");
    expect(
      result.findings.map((f: { rule: string; target: string; ranges: string[] }) => ({ rule: f.rule, target: f.target, ranges: f.ranges })),
    ).toEqual([
      { rule: "missing-eop-range", target: "edge-fw smtp-in", ranges: ["52.100.0.0/14"] },
      { rule: "missing-eop-range", target: "EX01\\Inbound from Office 365", ranges: ["52.100.0.0/14"] },
      {
        rule: "stale-eop-range",
        target: "EX01\\Inbound from Office 365",
        ranges: ["23.103.132.0/22", "65.55.88.0/24", "207.46.100.0/24", "213.199.154.0/24"],
      },
    ]);
    const out = join(cwd, "out");
    expect(readdirSync(out).sort()).toEqual(["eop-allowlist.txt", "remediation.ps1", "report.html", "report.json", "report.md"]);
    const script = readFileSync(join(out, "remediation.ps1"), "utf8");
    expect(script).toContain("Remove = @('23.103.132.0/22', '65.55.88.0/24', '207.46.100.0/24', '213.199.154.0-213.199.154.255')");
    expect(script).toContain("Add = @('52.100.0.0/14')");
    // It checks what it was given: the inventory is not registered and no run is recorded; only the feed is kept, for the
    // guard, and the finding state, so the next check tells what changed.
    expect(readdirSync(join(cwd, ".mailflow-guard")).sort()).toEqual(["feed", "finding-state"]);
    expect(result.findings[0].subject).toEqual({ kind: "allowlist", name: "edge-fw smtp-in" });
    expect(result.findings[0].digest).toMatch(/^[0-9a-f]{32}$/);
  });

  it("exits 0 when in sync, and reads raw Get-ReceiveConnector output with --tenant", async () => {
    const inv = file(dir, "sync.json", {
      tenant: "contoso.onmicrosoft.com",
      allowlists: [{ name: "fw", entries: ["40.92.0.0/14", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17"] }],
    });
    const { code, stdout } = await run(["check", "--inventory", inv, "--feed-file", FIXTURE]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^In sync: all 1 target of contoso\.onmicrosoft\.com match the EOP SMTP set/);
    const raw = await run(["check", "--inventory", RAW, "--tenant", "contoso.onmicrosoft.com", "--mode", "exact", "--feed-file", FIXTURE, "--json"]);
    expect(raw.code).toBe(2);
    // Default Frontend is open to everything and never a target; 127.0.0.1 on the EOP connector stays.
    const rawResult = JSON.parse(raw.stdout);
    expect(rawResult.findings.map((f: { rule: string; target: string }) => `${f.rule} ${f.target}`)).toEqual([
      "missing-eop-range EX01\\Inbound from Office 365",
      "stale-eop-range EX01\\Inbound from Office 365",
    ]);
    expect(rawResult.targets.map((t: { name: string; checked: boolean }) => [t.name, t.checked])).toEqual([
      ["EX01\\Inbound from Office 365", true],
      ["EX01\\Default Frontend EX01", false],
    ]);
    const script = readFileSync(join(raw.cwd, "out", "remediation.ps1"), "utf8");
    expect(script).toContain("Remove = @('65.55.88.0/24')");
    expect(script).not.toContain("Default Frontend");
  });

  it("reads an inventory and a feed file as Windows PowerShell 5.1 writes them: UTF-16 LE with a byte order mark and CRLF", async () => {
    const utf16 = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace(/\r?\n/g, "\r\n"), "utf16le")]);
    const inventory = file(dir, "utf16-inventory.json", utf16(readFileSync(DEMO_INVENTORY, "utf8")));
    const feed = file(dir, "utf16-feed.json", utf16(JSON.stringify(JSON.parse(readFileSync(FIXTURE, "utf8")), null, 2)));
    const { code, stdout } = await run(["check", "--inventory", inventory, "--feed-file", feed, "--json"]);
    expect(code).toBe(2);
    expect(JSON.parse(stdout).findings).toHaveLength(3);
  });

  it("checks only the connectors named with --connector in a raw export of a whole organisation", async () => {
    const org = new URL("../examples/get-receiveconnector-organisation.json", import.meta.url).pathname;
    const args = ["check", "--inventory", org, "--tenant", "contoso.onmicrosoft.com", "--feed-file", FIXTURE, "--json"];
    const all = JSON.parse((await run(args)).stdout);
    expect(all.targets.filter((t: { checked: boolean }) => t.checked).map((t: { name: string }) => t.name)).toEqual([
      "EX01\\Inbound from Office 365",
    ]);
    const named = await run([...args, "--connector", "*\\Relay from printers", "--connector", "Partner Fabrikam"]);
    expect(named.code).toBe(2);
    const result = JSON.parse(named.stdout);
    expect(result.targets.filter((t: { checked: boolean }) => t.checked).map((t: { name: string }) => t.name)).toEqual([
      "EX01\\Relay from printers",
      "EX01\\Partner Fabrikam",
    ]);
    expect(result.findings.map((f: { rule: string; target: string }) => `${f.rule} ${f.target}`)).toEqual([
      "missing-eop-range EX01\\Partner Fabrikam",
      "missing-eop-range EX01\\Relay from printers",
    ]);
  });

  it("refuses a suspicious feed: exit 1 with one line, the last good feed used, no removal proposed", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "mfg-cli-"));
    expect((await run(["check", "--inventory", DEMO_INVENTORY, "--feed-file", FIXTURE], {}, cwd)).code).toBe(2);
    const shrunk = file(dir, "shrunk.json", worldwideWithEop(["104.47.0.0/17"]));
    const refused = await run(["check", "--inventory", DEMO_INVENTORY, "--feed-file", shrunk, "--json"], {}, cwd);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "mailflow-guard: the Worldwide feed was refused: it would remove 93.3 % of the IPv4 EOP addresses of the last good feed (40.92.0.0/15, " +
        "40.107.0.0/16, 52.100.0.0/14); at most 25 % may go in one step\n",
    );
    const result = JSON.parse(refused.stdout);
    expect(result.findings[0].rule).toBe("feed-suspicious");
    expect(result.feed.eopRanges).toEqual(["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17"]);
    expect(readFileSync(join(cwd, "out", "remediation.ps1"), "utf8")).not.toContain("Remove =");
    // With a larger share allowed the same file is accepted.
    expect((await run(["check", "--inventory", DEMO_INVENTORY, "--feed-file", shrunk, "--max-removal-share", "95%"], {}, cwd)).code).toBe(2);
  });

  it("with no earlier good feed, a refused one is an error that says why", async () => {
    const empty = file(
      dir,
      "no-eop.json",
      worldwide((sets) =>
        sets.splice(
          sets.findIndex((s) => s.id === 10),
          1,
        ),
      ),
    );
    const { code, stderr, stdout } = await run(["check", "--inventory", DEMO_INVENTORY, "--feed-file", empty]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "mailflow-guard: the Worldwide feed was refused (it has no Exchange endpoint set with TCP port 25 (the EOP SMTP set)) and no earlier feed " +
        "was ever accepted, so there is nothing to check against\n",
    );
  });

  it("checks against the live feed service when no feed file is given", async () => {
    const server = await startFeedServer({ Worldwide: { version: "2025060100", endpoints: worldwide() } });
    try {
      const { code, stdout } = await run(["check", "--inventory", DEMO_INVENTORY, "--json"], { M365_ENDPOINTS_BASE_URL: server.url });
      expect(code).toBe(2);
      expect(JSON.parse(stdout).feed).toMatchObject({ status: "accepted", version: "2025060100" });
    } finally {
      await server.close();
    }
  });

  it("says so when the feed service is unreachable, and fails once the feed in force is older than the maximum age", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "mfg-cli-"));
    const server = await startFeedServer({ Worldwide: { version: "2025060100", endpoints: worldwide() } });
    const env = { M365_ENDPOINTS_BASE_URL: server.url };
    expect((await run(["check", "--inventory", DEMO_INVENTORY], env, cwd)).code).toBe(2);
    await server.close(); // nothing listens on its port any more

    // Three days old by the state file, as if no check had reached the service since.
    const stateFile = join(cwd, ".mailflow-guard", "feed", "Worldwide.json");
    const doc = JSON.parse(readFileSync(stateFile, "utf8"));
    const threeDaysAgo = new Date(Date.now() - 3 * 24 * 3600_000 - 60_000).toISOString();
    doc.value.lastGood.fetchedAt = threeDaysAgo;
    doc.value.lastVersionCheck.at = threeDaysAgo;
    writeFileSync(stateFile, JSON.stringify(doc));

    const stale = await run(["check", "--inventory", DEMO_INVENTORY, "--refresh", "--json"], env, cwd);
    expect(stale.code).toBe(2); // the drift, as before
    expect(stale.stderr).toMatch(
      new RegExp(
        /^mailflow-guard: the Worldwide feed could not be brought up to date \([^\n]*127\.0\.0\.1[^\n]*\); /.source +
          /checking against version 2025060100, fetched 3 days ago\n$/.source,
      ),
    );
    const result = JSON.parse(stale.stdout);
    expect(result.feed.staleness).toMatchObject({ outcome: "failed", confirmedAt: threeDaysAgo });
    expect(result.findings[0]).toMatchObject({ rule: "feed-stale", severity: "warning", target: "Worldwide" });
    const md = readFileSync(join(cwd, "out", "report.md"), "utf8");
    expect(md).toContain("- The Worldwide feed could not be brought up to date (");

    const tooOld = await run(["check", "--inventory", DEMO_INVENTORY, "--refresh"], { ...env, MAILFLOW_GUARD_MAX_FEED_AGE: "2d" }, cwd);
    expect(tooOld.code).toBe(1);
    expect(tooOld.stdout).toBe("");
    expect(tooOld.stderr).toMatch(
      new RegExp(
        /^mailflow-guard: the Worldwide feed could not be brought up to date \([^\n]*\); /.source +
          /version 2025060100 in force was fetched 3 days ago, longer ago than the 2 days /.source +
          /MAILFLOW_GUARD_MAX_FEED_AGE allows, so nothing was checked against it\n$/.source,
      ),
    );

    // Throttled: the service is not asked at all, and the check says why it used the feed in force.
    const until = new Date(Date.now() + 3600_000).toISOString();
    writeFileSync(stateFile, JSON.stringify({ ...doc, value: { ...doc.value, throttledUntil: until } }));
    const throttled = await run(["check", "--inventory", DEMO_INVENTORY, "--refresh"], env, cwd);
    expect(throttled.code).toBe(2);
    expect(throttled.stderr).toBe(
      `mailflow-guard: the Worldwide feed could not be brought up to date (the service asked to wait until ${until}); ` +
        "checking against version 2025060100, fetched 3 days ago\n",
    );
  }, 40_000);
});

describe("bad input: exit 1 and one line naming the file and the entry", () => {
  const inventory = (entries: string[]) =>
    file(dir, `inv-${entries.join("_").replace(/[^0-9a-z]/gi, "")}.json`, {
      tenant: "contoso.onmicrosoft.com",
      allowlists: [{ name: "fw", entries }],
    });
  it.each([
    [
      "an inventory file that does not exist",
      () => ["check", "--inventory", join(dir, "missing.json")],
      (d: string) => `mailflow-guard: ${join(d, "missing.json")}: does not exist\n`,
    ],
    [
      "an inventory that is not JSON",
      () => ["check", "--inventory", file(dir, "bad.json", "{ nope")],
      (d: string) => `mailflow-guard: ${join(d, "bad.json")}: is not valid JSON`,
    ],
    [
      "a host name in an allowlist",
      () => ["check", "--inventory", inventory(["10.0.0.1", "mail.contoso.com"])],
      () => `allowlists[0].entries[1]: "mail.contoso.com" is not`,
    ],
    [
      "an IPv4 prefix length above 32",
      () => ["check", "--inventory", inventory(["10.0.0.0/33"])],
      () => `allowlists[0].entries[0]: "10.0.0.0/33" has a prefix length above 32`,
    ],
    [
      "an IPv6 prefix length above 128",
      () => ["check", "--inventory", inventory(["2001:db8::/129"])],
      () => `allowlists[0].entries[0]: "2001:db8::/129"`,
    ],
    [
      "a range that ends below its start",
      () => ["check", "--inventory", inventory(["10.0.0.9-10.0.0.1"])],
      () => `allowlists[0].entries[0]: "10.0.0.9-10.0.0.1" ends below its start`,
    ],
    [
      "a feed file that does not exist",
      () => ["check", "--inventory", DEMO_INVENTORY, "--feed-file", join(dir, "nofeed.json")],
      (d: string) => `${join(d, "nofeed.json")}: does not exist`,
    ],
    ["diff without --to", () => ["diff", "--from", FIXTURE], () => "mailflow-guard: diff needs --from FILE and --to FILE"],
    ["a misspelt option", () => ["check", "--inventroy", "x"], () => "mailflow-guard: Unknown option '--inventroy'"],
    ["a retired instance", () => ["feed", "--instance", "Germany"], () => 'mailflow-guard: "Germany" is retired'],
    ["an unknown command", () => ["frobnicate"], () => 'mailflow-guard: unknown command "frobnicate"'],
  ])("refuses %s", async (_what, args, expected) => {
    const { code, stderr, stdout } = await run(args());
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain(expected(dir));
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(stderr).not.toMatch(/\bat .+:\d+:\d+/);
  });
});

describe("demo", () => {
  let result: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    result = await run(["demo"]);
  });
  afterAll(() => {});

  it("runs the daily check of the example tenant against the recorded feed and writes ./out", () => {
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("[feedVersionCheck] Worldwide feed version 2025060100 accepted: 4 EOP SMTP ranges");
    expect(result.stdout).toContain("Drift: 2 of 2 targets of contoso.onmicrosoft.com do not match the EOP SMTP set");
    expect(result.stdout).toContain(`Files in ${join(result.cwd, "out")}:`);
    for (const name of ["remediation.ps1", "eop-allowlist.txt", "report.md", "report.json"])
      expect(existsSync(join(result.cwd, "out", name))).toBe(true);
    expect(readdirSync(result.cwd)).toEqual(["out"]);
  });
});

describe("feed files of another cloud", () => {
  const usGov = () =>
    worldwide((sets) => {
      for (const set of sets) set.urls = (set.urls as string[] | undefined)?.map((u) => u.replace(/outlook\.com$/, "office365.us"));
    });

  it("feed --feed-file says which cloud it read", async () => {
    const { code, stdout } = await run(["feed", "--feed-file", file(dir, "usgov.json", usGov()), "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).instance).toBe("USGovDoD or USGovGCCHigh");
    expect(JSON.parse((await run(["feed", "--feed-file", FIXTURE, "--json"])).stdout).instance).toBe("Worldwide");
  });

  it("check refuses a feed file of another cloud than the inventory's, and never keeps it as the last good feed", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "mfg-cli-"));
    const refused = await run(["check", "--inventory", DEMO_INVENTORY, "--feed-file", file(dir, "usgov2.json", usGov())], {}, cwd);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused \(its endpoint sets belong to the US Government cloud \(.*office365\.us\), not to Worldwide\)/);
    expect(refused.stderr.trimEnd().split("\n")).toHaveLength(1);
    const state = JSON.parse(readFileSync(join(cwd, ".mailflow-guard", "feed", "Worldwide.json"), "utf8"));
    expect(state.value.lastGood).toBeUndefined();
    expect(state.value.refused.reason).toMatch(/US Government cloud/);
  });
});

describe("output and state paths", () => {
  it.each([
    [
      "--out under /proc, where directories cannot be made",
      () => ["--out", "/proc/mailflow-guard-out"],
      /^mailflow-guard: --out \/proc\/mailflow-guard-out: cannot be created/,
    ],
    [
      "--out naming a file",
      (d: string) => ["--out", file(d, "out-is-a-file", "x")],
      /^mailflow-guard: --out .*out-is-a-file: is a file, not a directory\n$/,
    ],
    [
      "--out below a file",
      (d: string) => ["--out", join(file(d, "parent-file", "x"), "sub")],
      /^mailflow-guard: --out .*parent-file\/sub: cannot be used \(a part of the path is a file\)\n$/,
    ],
    [
      "--state naming a file",
      (d: string) => ["--state", file(d, "state-is-a-file", "x")],
      /^mailflow-guard: --state .*state-is-a-file: is a file, not a directory\n$/,
    ],
  ])("refuses %s in one line, at once", async (_what, args, message) => {
    const { code, stderr } = await run(["check", "--inventory", DEMO_INVENTORY, "--feed-file", FIXTURE, ...args(dir)]);
    expect(code).toBe(1);
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});

describe("alerts from the command line", () => {
  it("sends one card for the same drift seen twice, one when it is fixed, and nothing after that", async () => {
    const teams = await startTeamsStandIn();
    try {
      const cwd = mkdtempSync(join(tmpdir(), "mfg-cli-"));
      const drifted = file(dir, "alert-drift.json", { tenant: "contoso.onmicrosoft.com", allowlists: [{ name: "fw", entries: ["40.92.0.0/15"] }] });
      const fixed = file(dir, "alert-fixed.json", {
        tenant: "contoso.onmicrosoft.com",
        allowlists: [{ name: "fw", entries: EOP_WORLDWIDE.slice(0, 4) }],
      });
      const check = (inventory: string, ...more: string[]) =>
        run(["check", "--inventory", inventory, "--feed-file", FIXTURE, "--teams-webhook", teams.url, ...more], {}, cwd);
      const first = await check(drifted);
      expect(first.code).toBe(2);
      expect(first.stdout).toContain("Alert sent on teams.");
      expect(first.stdout + first.stderr).not.toContain(teams.sig);
      expect((await check(drifted)).code).toBe(2);
      expect((await check(fixed)).code).toBe(0);
      expect((await check(fixed)).code).toBe(0);
      const cards = teams.requests.map((r) => JSON.stringify(r.body));
      expect(cards).toHaveLength(2);
      expect(cards[0]).toContain("NEW");
      expect(cards[1]).toContain("RESOLVED");
      // --no-alerts keeps the state and sends nothing.
      expect((await check(drifted, "--no-alerts")).code).toBe(2);
      expect(teams.requests).toHaveLength(2);
    } finally {
      await teams.close();
    }
  });

  it("snoozes and lists findings in the same state folder", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "mfg-cli-"));
    const drifted = file(dir, "alert-drift2.json", { tenant: "contoso.onmicrosoft.com", allowlists: [{ name: "fw", entries: ["40.92.0.0/15"] }] });
    await run(["check", "--inventory", drifted, "--feed-file", FIXTURE], {}, cwd);
    const id = "missing-eop-range:allowlist:fw";
    const snooze = await run(
      [
        "alerts",
        "snooze",
        "--tenant",
        "contoso.onmicrosoft.com",
        "--finding",
        id,
        "--reason",
        "firewall change on Friday",
        "--by",
        "admin",
        "--for",
        "3d",
      ],
      {},
      cwd,
    );
    expect(snooze.code).toBe(0);
    const list = await run(["alerts", "list", "--tenant", "contoso.onmicrosoft.com", "--json"], {}, cwd);
    const listed = JSON.parse(list.stdout);
    expect(listed.open.map((f: { id: string }) => f.id)).toEqual([id]);
    expect(listed.open[0].snooze.reason).toBe("firewall change on Friday");
    const bad = await run(
      ["alerts", "snooze", "--tenant", "contoso.onmicrosoft.com", "--finding", "nope", "--reason", "r", "--by", "b", "--for", "1d"],
      {},
      cwd,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^mailflow-guard: alerts snooze: contoso\.onmicrosoft\.com has no open finding "nope"/);
    expect((await run(["alerts", "unsnooze", "--tenant", "contoso.onmicrosoft.com", "--finding", id], {}, cwd)).stdout).toBe("unsnoozed\n");
  });

  it("sets the digest, heartbeat and thresholds, and refuses a bad one in one line", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "mfg-cli-"));
    const tenant = ["--tenant", "contoso.onmicrosoft.com"];
    const set = await run(
      ["alerts", "config", ...tenant, "--digest", "weekly", "--heartbeat", "on", "--hour", "8", "--weekday", "Friday", "--min-severity", "warning"],
      {},
      cwd,
    );
    expect(set.stdout).toBe(
      "contoso.onmicrosoft.com: alerts to no channel, a weekly (friday) digest at 8:00 UTC and a heartbeat on fridays at 8:00 UTC; " +
        "alerts from warning, stale after 36 h, evidence old after 48 h, certificates reported 60/30/14/7 days ahead\n",
    );
    const shown = JSON.parse((await run(["alerts", "list", ...tenant, "--json"], {}, cwd)).stdout);
    expect(shown.channels).toMatchObject({ digest: { every: "week", hour: 8, weekday: "friday" }, thresholds: { minSeverity: "warning" } });
    expect(
      (
        await run(
          ["alerts", "config", ...tenant, "--digest", "off", "--stale-after", "2d", "--evidence-stale-after", "3d", "--certificate-days", "45, 10"],
          {},
          cwd,
        )
      ).stdout,
    ).toBe(
      "contoso.onmicrosoft.com: alerts to no channel, a heartbeat on fridays at 8:00 UTC; alerts from warning, stale after 48 h, " +
        "evidence old after 72 h, certificates reported 45/10 days ahead\n",
    );
    expect((await run(["alerts", "config", ...tenant, "--certificate-days", "30,soon"], {}, cwd)).stderr).toMatch(
      /^mailflow-guard: alerts config: thresholds\.certificateDays\[1\]: /,
    );
    const bad = await run(["alerts", "config", ...tenant, "--digest", "hourly"], {}, cwd);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('mailflow-guard: alerts config: digest.every: expected "day" or "week"\n');
    expect((await run(["alerts", "config", ...tenant, "--hour", "25"], {}, cwd)).stderr).toMatch(/^mailflow-guard: alerts config: heartbeat\.hour: /);
    expect((await run(["alerts", "config", ...tenant, "--stale-after", "soon"], {}, cwd)).stderr).toBe(
      'mailflow-guard: --stale-after "soon": expected days or hours such as 2d or 36h\n',
    );
  });

  it("sends what is due from cron: the stale-run alert of a tenant whose checks stopped, once", async () => {
    const teams = await startTeamsStandIn();
    try {
      const cwd = mkdtempSync(join(tmpdir(), "mfg-cli-"));
      const tenant = ["--tenant", "contoso.onmicrosoft.com"];
      const drifted = file(dir, "alert-due.json", { tenant: "contoso.onmicrosoft.com", allowlists: [{ name: "fw", entries: ["40.92.0.0/15"] }] });
      await run(["alerts", "config", ...tenant, "--teams-webhook", teams.url], {}, cwd);
      await run(["check", "--inventory", drifted, "--feed-file", FIXTURE], {}, cwd);
      expect(teams.requests).toHaveLength(1);
      expect((await run(["alerts", "due", ...tenant], {}, cwd)).stdout).toBe("nothing is due\n");
      // The last check completed three days ago.
      const store = new FileStateStore(join(cwd, ".mailflow-guard"));
      const state = (await store.get("finding-state", "contoso.onmicrosoft.com"))!.value as object;
      await store.put("finding-state", "contoso.onmicrosoft.com", { ...state, updatedAt: new Date(Date.now() - 72 * 3600_000).toISOString() });
      const due = await run(["alerts", "due", ...tenant], {}, cwd);
      expect(due.stdout).toMatch(/^sent contoso\.onmicrosoft\.com\/stale-run\/\S+\n$/);
      expect(JSON.stringify(teams.requests[1]!.body)).toContain("Checks not completing");
      expect((await run(["alerts", "due", ...tenant], {}, cwd)).stdout).toBe("nothing is due\n");
      expect(teams.requests).toHaveLength(2);
    } finally {
      await teams.close();
    }
  });
});

describe("probe", () => {
  // Loaded here so the rest of this file does not depend on the probe's servers.
  let servers: typeof import("./support/smtp-servers.js");
  let starttls: import("./support/smtp-servers.js").SmtpTestServer;
  beforeAll(async () => {
    servers = await import("./support/smtp-servers.js");
    starttls = await servers.startStartTlsServer(servers.serverCertificates());
  });
  afterAll(() => starttls.close());

  it("prints the probe's result as JSON and exits 0 when a certificate was read, trusted or not", async () => {
    const { probeResultSchema } = await import("../src/probe/smtp-probe.js");
    const { code, stdout, stderr } = await run(["probe", `127.0.0.1:${starttls.port}`, "--json"]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    const result = probeResultSchema.parse(JSON.parse(stdout));
    expect(result).toMatchObject({ host: "127.0.0.1", port: starttls.port, starttls: true, tlsVersion: "TLSv1.3", tls12OrLater: true });
    // The CLI verifies against the system roots, which do not hold the test's CA.
    expect(result.certificate).toMatchObject({ subject: 'CN=mail.contoso.test, O="Contoso, Ltd", C=US', chainValid: false, daysLeft: 90 });
  });

  it("prints a summary for people", async () => {
    const { code, stdout } = await run(["probe", `127.0.0.1:${starttls.port}`]);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^127\\.0\\.0\\.1:${starttls.port} \\(\\d+ ms\\)\\n`));
    expect(stdout).toContain("\n  STARTTLS    offered\n");
    expect(stdout).toMatch(/\n {2}TLS {9}TLSv1\.3, TLS_AES_\w+; TLS 1\.2 or later: yes\n/);
    expect(stdout).toContain('\n  Subject     CN=mail.contoso.test, O="Contoso, Ltd", C=US\n');
    expect(stdout).toContain("\n  Names       mail.contoso.test, autodiscover.contoso.test\n");
    expect(stdout).toContain("\n  Chain       not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)\n");
  });

  it("exits 1 with one line on stderr when no certificate could be read", async () => {
    const plain = await servers.startPlainServer();
    const inspected = await servers.startInspectedServer();
    const silent = await servers.startSilentServer();
    try {
      const noTls = await run(["probe", `127.0.0.1:${plain.port}`, "--json"]);
      expect(noTls.code).toBe(1);
      expect(JSON.parse(noTls.stdout)).toMatchObject({ starttls: false, ehloMasked: false });
      expect(noTls.stderr).toBe(`mailflow-guard: 127.0.0.1:${plain.port} offers no STARTTLS\n`);
      const masked = await run(["probe", `127.0.0.1:${inspected.port}`]);
      expect(masked.code).toBe(1);
      expect(masked.stdout).toContain("\n  Inspected   the greeting is masked by a firewall's SMTP inspection (Cisco PIX/ASA): it strips STARTTLS\n");
      expect(masked.stderr).toBe(
        `mailflow-guard: 127.0.0.1:${inspected.port} offers no STARTTLS: ` +
          "its greeting is masked as a firewall's SMTP inspection (Cisco PIX/ASA) masks it\n",
      );
      const hung = await run(["probe", `127.0.0.1:${silent.port}`, "--timeout", "0.2"]);
      expect(hung.code).toBe(1);
      expect(hung.stderr).toBe(`mailflow-guard: 127.0.0.1:${silent.port}: no banner within 0.2 s\n`);
      for (const server of [plain, inspected, silent]) await server.idle();
      expect([...plain.commands, ...inspected.commands, ...silent.commands].filter((c) => /^(MAIL|RCPT|DATA)\b/i.test(c))).toEqual([]);
      expect(silent.commands).toEqual(["QUIT"]);
    } finally {
      await Promise.all([plain.close(), inspected.close(), silent.close()]);
    }
  });

  it("--smart-host resolves HOST as Exchange Online does, through MAILFLOW_GUARD_DNS_SERVERS, and probes every host it leads to", async () => {
    const { startDnsServer } = await import("./support/dns-server.js");
    const dns = await startDnsServer({
      "lab.test": {
        MX: [
          [20, "mx2.lab.test"],
          [10, "mx1.lab.test"],
        ],
      },
      "mx1.lab.test": { A: ["127.0.0.1"] },
      "mx2.lab.test": { A: ["127.0.0.1"] },
    });
    try {
      const env = { MAILFLOW_GUARD_DNS_SERVERS: dns.address };
      const json = await run(["probe", `lab.test:${starttls.port}`, "--smart-host", "--json"], env);
      expect(json.code, json.stderr).toBe(0);
      const results = JSON.parse(json.stdout) as { host: string; port: number; starttls: boolean }[];
      expect(results.map((r) => [r.host, r.port, r.starttls])).toEqual([
        ["mx1.lab.test", starttls.port, true],
        ["mx2.lab.test", starttls.port, true],
      ]);
      const human = await run(["probe", `lab.test:${starttls.port}`, "--smart-host"], env);
      expect(human.stdout).toMatch(/^lab\.test routes by MX to 10 mx1\.lab\.test \(127\.0\.0\.1\), 20 mx2\.lab\.test \(127\.0\.0\.1\)\n/);
      const nowhere = await run(["probe", "gone.lab.test", "--smart-host"], env);
      expect(nowhere).toMatchObject({ code: 1, stderr: "mailflow-guard: gone.lab.test leads nowhere: the name does not exist (NXDOMAIN)\n" });
      expect(dns.questions).toContain("MX lab.test");
    } finally {
      await dns.close();
    }
  });

  it("check --dns asks the configured resolvers about the smart hosts; without it the check asks no DNS", async () => {
    const { startDnsServer } = await import("./support/dns-server.js");
    const { contosoPki, contosoStateDocument } = await import("./support/hybrid-documents.js");
    const dns = await startDnsServer({ "mail.contoso.com": { A: ["203.0.113.25"] } });
    try {
      const now = new Date();
      const pki = contosoPki(now);
      const cert = pki.leaf(pki.ca1, "mail.contoso.com", { from: -30, to: 300 });
      const dir = mkdtempSync(join(tmpdir(), "mfg-cli-"));
      const state = file(dir, "state.json", contosoStateDocument({ collectedAt: now.toISOString(), installed: [cert], named: cert }));
      const env = { MAILFLOW_GUARD_DNS_SERVERS: dns.address };
      const offline = await run(["check", "--inventory", state, "--feed-file", FIXTURE, "--json", "--no-alerts"], env, dir);
      expect(dns.questions).toEqual([]);
      expect(JSON.parse(offline.stdout).findings.map((f: { rule: string }) => f.rule)).not.toContain("smart-host-no-failover");
      const asked = await run(["check", "--inventory", state, "--feed-file", FIXTURE, "--json", "--no-alerts", "--dns"], env, dir);
      expect(JSON.parse(asked.stdout).findings.map((f: { rule: string }) => f.rule)).toContain("smart-host-no-failover");
      expect(dns.questions).toContain("MX mail.contoso.com");
    } finally {
      await dns.close();
    }
  });

  it("reads HOST[:PORT] with IPv6 in brackets, and refuses what is not one", async () => {
    const { parseHostPort } = await import("../src/cli/probe-command.js");
    expect(parseHostPort("[::1]:2525")).toEqual({ host: "::1", port: 2525 });
    expect(parseHostPort("[2001:db8::25]")).toEqual({ host: "2001:db8::25", port: 25 });
    expect(parseHostPort("2001:db8::25")).toEqual({ host: "2001:db8::25", port: 25 });
    expect(parseHostPort("mail.contoso.com")).toEqual({ host: "mail.contoso.com", port: 25 });
    expect(parseHostPort("10.0.0.25:587")).toEqual({ host: "10.0.0.25", port: 587 });
    const bad = async (...args: string[]) => (await run(["probe", ...args])).stderr;
    expect(await bad()).toBe(
      "mailflow-guard: probe takes one HOST[:PORT], not 0 " +
        "(expected HOST[:PORT] such as mail.contoso.com, mail.contoso.com:25 or [2001:db8::25]:25)\n",
    );
    expect(await bad("mail.contoso.com:99999")).toBe('mailflow-guard: "mail.contoso.com:99999": the port must be a number from 1 to 65535\n');
    expect(await bad("[mail.contoso.com]:25")).toMatch(/^mailflow-guard: "\[mail\.contoso\.com\]:25": expected HOST\[:PORT\] /);
    expect(await bad("mail.contoso.com", "--timeout", "soon")).toBe(
      'mailflow-guard: --timeout "soon": expected seconds from 0.1 to 600, such as 10 or 2.5\n',
    );
  });

  it("reports a refused connection as the reason, with exit 1", async () => {
    const closed = await servers.startPlainServer();
    await closed.close();
    const { code, stderr } = await run(["probe", `127.0.0.1:${closed.port}`, "--timeout", "2"]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `mailflow-guard: 127.0.0.1:${closed.port}: the connection was refused: nothing listens on the port, or a firewall rejects it\n`,
    );
  });
});
