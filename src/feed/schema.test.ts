import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InputError } from "../errors.js";
import {
  changesSchema,
  type EndpointSet,
  endpointSetsSchema,
  includesPort,
  parsePortList,
  validate,
  versionInfoSchema,
  versionListSchema,
} from "./schema.js";

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../test/fixtures/m365/${name}`, import.meta.url), "utf8"));

/** The saved Worldwide answer with IPv6 put back into set 10, as the service sends it without NoIPv6. */
function worldwideWithIPv6(): unknown[] {
  const sets = fixture("endpoints-worldwide-2025.json") as Array<Record<string, unknown>>;
  return sets.map((set) => (set.id === 10 ? { ...set, ips: [...(set.ips as string[]), "2a01:111:f400::/48", "2a01:111:f403::/48"] } : set));
}

const exchangeSet = (extra: Record<string, unknown> = {}) => ({
  id: 6,
  serviceArea: "Exchange",
  serviceAreaDisplayName: "Exchange Online",
  ips: ["20.140.0.0/15"],
  tcpPorts: "25",
  expressRoute: true,
  category: "Allow",
  required: true,
  ...extra,
});

function problem(run: () => unknown): InputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error("expected an InputError");
}

describe("endpoint sets", () => {
  it("reads the real Worldwide answer with its quirks", () => {
    const sets = validate(endpointSetsSchema, fixture("endpoints-worldwide-2025.json"), "endpoints-worldwide-2025.json");
    expect(sets).toHaveLength(63);
    const byId = new Map(sets.map((s) => [s.id, s]));
    expect(byId.get(2)?.tcpPorts).toBe("143, 587, 993, 995");
    expect(byId.get(10)).toMatchObject({ serviceArea: "Exchange", tcpPorts: "25", expressRoute: true, required: true });
    expect(byId.get(193)?.notes).toBe("");
    expect(sets.some((s) => s.tcpPorts === "443,80")).toBe(true);
    expect(sets.some((s) => s.urls === undefined)).toBe(true);
  });

  it("keeps IPv6 and IPv4 entries together as text", () => {
    const sets = validate(endpointSetsSchema, worldwideWithIPv6(), "feed");
    expect(sets.find((s) => s.id === 10)?.ips).toEqual([
      "40.92.0.0/15",
      "40.107.0.0/16",
      "52.100.0.0/14",
      "104.47.0.0/17",
      "2a01:111:f400::/48",
      "2a01:111:f403::/48",
    ]);
  });

  it("reads sovereign-like sets with other ids and no URLs", () => {
    const sets: EndpointSet[] = validate(endpointSetsSchema, [exchangeSet(), exchangeSet({ id: 2, ips: ["42.159.33.192/27"] })], "China");
    expect(sets.map((s) => s.id)).toEqual([6, 2]);
    expect(sets[0]?.urls).toBeUndefined();
  });

  it("ignores attributes it does not know and drops them", () => {
    const [set] = validate(endpointSetsSchema, [exchangeSet({ notesUrl: "https://example.test", ipv6Only: false })], "feed");
    expect(set).not.toHaveProperty("notesUrl");
  });

  it('accepts the strings "true" and "false" for booleans, and nothing else', () => {
    const [set] = validate(endpointSetsSchema, [exchangeSet({ expressRoute: "false", required: "true" })], "feed");
    expect(set).toMatchObject({ expressRoute: false, required: true });
    // .NET spells them "True" and "False".
    const [dotnet] = validate(endpointSetsSchema, [exchangeSet({ expressRoute: "True", required: "FALSE" })], "feed");
    expect(dotnet).toMatchObject({ expressRoute: true, required: false });
    for (const bad of ["yes", "", "1", 1, null]) {
      expect(problem(() => validate(endpointSetsSchema, [exchangeSet({ expressRoute: bad })], "feed")).path).toBe("[0].expressRoute");
    }
    expect(problem(() => validate(endpointSetsSchema, [exchangeSet({ required: "yes" })], "feed")).message).toBe(
      'feed: [0].required: expected true or false (or the strings "true" and "false")',
    );
  });

  it("refuses a bad port list in one line that names the set and the field", () => {
    const sets = [exchangeSet(), exchangeSet(), exchangeSet(), exchangeSet({ id: 12, tcpPorts: "25;587" })];
    const error = problem(() => validate(endpointSetsSchema, sets, "GET /endpoints/Worldwide"));
    expect(error.message).toBe(
      'GET /endpoints/Worldwide: [3].tcpPorts: endpoint set 12: "25;587" is not a port list; expected ports and ranges such as "80,443" or ' +
        '"5000-5020"',
    );
    expect(error.source).toBe("GET /endpoints/Worldwide");
    expect(error.path).toBe("[3].tcpPorts");
  });

  it("reports the first problem and counts the rest", () => {
    const error = problem(() => validate(endpointSetsSchema, [exchangeSet({ id: "6", category: 1 }), { id: 7 }], "feed"));
    expect(error.message).toMatch(/^feed: \[0\]\.id: .*expected number.* \(and \d+ more problems\)$/);
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  it("refuses a missing attribute the product relies on", () => {
    const { serviceArea: _, ...withoutArea } = exchangeSet();
    expect(problem(() => validate(endpointSetsSchema, [withoutArea], "feed")).path).toBe("[0].serviceArea");
    expect(problem(() => validate(endpointSetsSchema, [exchangeSet({ ips: ["40.92.0.0/15", 7] })], "feed")).path).toBe("[0].ips[1]");
    expect(problem(() => validate(endpointSetsSchema, { value: [] }, "feed")).message).toMatch(/^feed: .*expected array/);
  });
});

describe("version", () => {
  it("reads /version for one instance and for all", () => {
    expect(validate(versionInfoSchema, fixture("version-worldwide-docs-example.json"), "v")).toEqual({ instance: "Worldwide", latest: "2018063000" });
    const all = validate(versionListSchema, fixture("version-all-instances-docs-example.json"), "v");
    expect(all.map((v) => v.instance)).toEqual(["Worldwide", "USGovDoD", "USGovGCCHigh", "China", "Germany"]);
  });

  it("wants 10 digits", () => {
    for (const latest of ["201806300", "2018063000a", 2018063000]) {
      expect(problem(() => validate(versionInfoSchema, { instance: "Worldwide", latest }, "v")).path).toBe("latest");
    }
  });
});

describe("changes", () => {
  it("reads the real record whose booleans are strings and whose effectiveDate predates it", () => {
    const [record] = validate(changesSchema, fixture("changes-worldwide-2020012800-record.json"), "changes");
    expect(record).toEqual({
      id: 500,
      endpointSetId: 149,
      disposition: "Add",
      version: "2020012800",
      impact: "AddedUrl",
      current: { expressRoute: false, serviceArea: "Common", category: "Default", required: true, tcpPorts: "80,443" },
      add: { effectiveDate: "20191125", urls: ["workplaceanalytics.cdn.office.net", "workplaceanalytics.office.com"] },
    });
  });

  it("reads the documentation's example, which has no impact", () => {
    const records = validate(changesSchema, fixture("changes-worldwide-docs-example.json"), "changes");
    expect(records.map((r) => [r.id, r.disposition, r.remove?.ips?.length])).toEqual([
      [3, "Change", 6],
      [4, "Change", 6],
    ]);
  });

  it("takes the disposition in any case and returns the canonical spelling", () => {
    const record = (disposition: string) => ({ id: 1, endpointSetId: 10, disposition, version: "2025020100" });
    const records = validate(changesSchema, [record("add"), record("CHANGE"), record("Remove")], "changes");
    expect(records.map((r) => r.disposition)).toEqual(["Add", "Change", "Remove"]);
    expect(problem(() => validate(changesSchema, [record("Delete")], "changes")).message).toBe(
      'changes: [0].disposition: expected one of Add, Change, Remove (in any case), got "Delete"',
    );
  });

  it("checks dates and the port lists before and after", () => {
    const base = { id: 1, endpointSetId: 10, disposition: "Add", version: "2025020100" };
    expect(problem(() => validate(changesSchema, [{ ...base, add: { effectiveDate: "20250231", ips: [] } }], "c")).path).toBe(
      "[0].add.effectiveDate",
    );
    expect(problem(() => validate(changesSchema, [{ ...base, add: { ips: ["1.2.3.0/24"] } }], "c")).path).toBe("[0].add.effectiveDate");
    const error = problem(() => validate(changesSchema, [{ ...base, previous: { tcpPorts: "25" }, current: { tcpPorts: "25-" } }], "c"));
    expect(error.path).toBe("[0].current.tcpPorts");
    expect(error.detail).toMatch(/^endpoint set 10: "25-" is not a port list/);
  });
});

describe("port lists", () => {
  it("reads the spellings the service uses", () => {
    expect(parsePortList("80,443")).toEqual([
      [80, 80],
      [443, 443],
    ]);
    expect(parsePortList("143, 587, 993, 995")).toEqual([
      [143, 143],
      [587, 587],
      [993, 993],
      [995, 995],
    ]);
    expect(parsePortList("443,80")).toEqual([
      [443, 443],
      [80, 80],
    ]);
    expect(parsePortList("5000-5020")).toEqual([[5000, 5020]]);
    expect(parsePortList("3478,50000 - 50059")).toEqual([
      [3478, 3478],
      [50000, 50059],
    ]);
    expect(parsePortList("")).toEqual([]);
    expect(parsePortList("  ")).toEqual([]);
  });

  it("refuses anything else", () => {
    for (const text of ["80,,443", "80,", "http", "0", "65536", "443-80", "25;587", "1-2-3"]) {
      expect(() => parsePortList(text), text).toThrow(InputError);
    }
    expect(() => parsePortList("80, 99999")).toThrow('"80, 99999" is not a port list (99999 is not a port, 1-65535)');
  });

  it("finds a port in lists and ranges", () => {
    expect(includesPort(parsePortList("25, 587"), 25)).toBe(true);
    expect(includesPort(parsePortList("20-30"), 25)).toBe(true);
    expect(includesPort(parsePortList("443"), 25)).toBe(false);
    expect(includesPort(parsePortList("250"), 25)).toBe(false);
    expect(includesPort([], 25)).toBe(false);
  });
});
