import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InputError } from "../errors.js";
import { parseInventory } from "./parse.js";

const example = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../examples/${name}`, import.meta.url), "utf8"));

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error("expected an InputError");
}

const doc = (over: Record<string, unknown> = {}) => ({
  tenant: "Contoso.onmicrosoft.com",
  instance: "worldwide",
  receiveConnectors: [{ identity: "EX01\\Inbound from Office 365", mode: "exact", remoteIPRanges: ["40.92.0.0/15"], protected: ["127.0.0.1"] }],
  allowlists: [{ name: "edge-fw smtp-in", mode: "superset", entries: ["40.92.0.0/16"], protected: [] }],
  ...over,
});

describe("parseInventory: the documented shape", () => {
  it("reads the demo inventory and normalises tenant and instance", () => {
    const inv = parseInventory(example("demo/inventory.json"), { source: "inventory.json" });
    expect(inv.tenant).toBe("contoso.onmicrosoft.com");
    expect(inv.instance).toBe("Worldwide");
    expect(inv.receiveConnectors.map((c) => c.identity)).toEqual(["EX01\\Inbound from Office 365", "EX01\\Default Frontend EX01"]);
    expect(inv.receiveConnectors[1]!.mode).toBe("superset");
    expect(inv.allowlists[0]!.entries).toContain("40.93.0.0/16");
  });

  it("defaults mode to superset (never proposes removals) and lists to empty", () => {
    const inv = parseInventory(
      { tenant: "fabrikam.onmicrosoft.com", receiveConnectors: [{ identity: "EX02\\EOP", remoteIPRanges: ["40.92.0.0/15"] }] },
      { source: "f.json" },
    );
    expect(inv.receiveConnectors[0]).toEqual({
      identity: "EX02\\EOP",
      mode: "superset",
      remoteIPRanges: ["40.92.0.0/15"],
      protected: [],
      removable: [],
      trustedForCloudMail: false,
      modeFrom: "document",
    });
    expect(inv.allowlists).toEqual([]);
    expect(inv.checkConnectors).toEqual([]);
    expect(inv.instance).toBe("Worldwide");
  });

  it("accepts Exchange IPRange objects and the Windows PowerShell {value:[…]} wrapper inside the documented shape", () => {
    const inv = parseInventory(
      doc({
        receiveConnectors: [
          {
            identity: "EX01\\EOP",
            mode: "exact",
            remoteIPRanges: { value: [{ LowerBound: "40.92.0.0", UpperBound: "40.93.255.255", RangeFormat: 1 }, "127.0.0.1"], Count: 2 },
          },
        ],
      }),
      { source: "i.json" },
    );
    expect(inv.receiveConnectors[0]!.remoteIPRanges).toEqual(["40.92.0.0-40.93.255.255", "127.0.0.1"]);
  });

  it.each([
    [
      "a tenant that is neither a domain nor a GUID",
      { tenant: "not a tenant" },
      "i.json: tenant: expected a tenant domain such as contoso.onmicrosoft.com or a tenant id GUID",
    ],
    ["the retired Germany instance", { instance: "Germany" }, "i.json: instance:"],
    ["an unknown instance", { instance: "Mars" }, "i.json: instance:"],
    ["an unknown mode", { allowlists: [{ name: "fw", mode: "all", entries: [] }] }, 'i.json: allowlists[0].mode: expected "exact" or "superset"'],
    [
      "a name with a line break",
      { allowlists: [{ name: "fw\nInvoke-Evil", entries: [] }] },
      "i.json: allowlists[0].name: must not contain control, bidirectional or zero-width characters or line breaks",
    ],
    ["an unknown property", { allowlists: [{ name: "fw", entries: ["10.0.0.1"], extra: 1 }] }, "i.json: allowlists[0]:"],
    [
      "an octet above 255, at its index",
      { allowlists: [{ name: "fw", entries: ["10.0.0.1", "10.0.0.300"] }] },
      'i.json: allowlists[0].entries[1]: "10.0.0.300"',
    ],
    ["a prefix length above 32", { allowlists: [{ name: "fw", entries: ["10.0.0.0/33"] }] }, 'i.json: allowlists[0].entries[0]: "10.0.0.0/33"'],
    [
      "a range that ends below its start",
      { allowlists: [{ name: "fw", entries: ["10.0.0.9-10.0.0.1"] }] },
      'i.json: allowlists[0].entries[0]: "10.0.0.9-10.0.0.1"',
    ],
    [
      "a protected entry that is a host name",
      { allowlists: [{ name: "fw", entries: [], protected: ["localhost"] }] },
      'i.json: allowlists[0].protected[0]: "localhost"',
    ],
    [
      "an empty zone id",
      { receiveConnectors: [{ identity: "EX01\\A", remoteIPRanges: ["1.2.3.4", "fe80::1%"] }] },
      'i.json: receiveConnectors[0].remoteIPRanges[1]: "fe80::1%"',
    ],
    [
      "an entry that is neither text nor an IPRange object",
      { allowlists: [{ name: "fw", entries: ["10.0.0.1", 167772161] }] },
      'i.json: allowlists[0].entries[1]: expected an address, CIDR or range string, or an object with "Expression" or "LowerBound"/"UpperBound"',
    ],
    [
      "an IPRange object whose Expression is not text",
      { receiveConnectors: [{ identity: "EX01\\A", remoteIPRanges: [{ Expression: 42 }] }] },
      "i.json: receiveConnectors[0].remoteIPRanges[0].Expression: is number 42: expected the range as text",
    ],
    [
      "an IPRange object with neither Expression nor both bounds",
      { receiveConnectors: [{ identity: "EX01\\A", remoteIPRanges: [{ RangeFormat: "CIDR" }] }] },
      'i.json: receiveConnectors[0].remoteIPRanges[0]: expected "Expression" or both',
    ],
    [
      "an IPRange whose Expression contradicts its bounds",
      {
        receiveConnectors: [
          { identity: "EX01\\A", remoteIPRanges: [{ Expression: "40.92.0.0/15", LowerBound: "40.92.0.0", UpperBound: "40.92.255.255" }] },
        ],
      },
      'i.json: receiveConnectors[0].remoteIPRanges[0]: Expression "40.92.0.0/15" does not match LowerBound/UpperBound "40.92.0.0-40.92.255.255"',
    ],
    [
      "two allowlists named alike but for case",
      {
        allowlists: [
          { name: "fw", entries: [] },
          { name: "FW", entries: [] },
        ],
      },
      'i.json: allowlists[1]: repeats the name "FW" of allowlists[0]',
    ],
  ])("rejects %s with one line naming the file and the entry", (_what, over, expected) => {
    const error = errorOf(() => parseInventory(doc(over), { source: "i.json" }));
    expect(error.message.startsWith(expected)).toBe(true);
    expect(error.message).not.toMatch(/\n/);
  });
});

describe("parseInventory: raw Get-ReceiveConnector | ConvertTo-Json output", () => {
  it("reads IPRange bounds that are deserialised IPAddress objects, and Identity as the object or its text", () => {
    const address = (text: string, n: number) => ({ Address: n, AddressFamily: 2, ScopeId: null, IsIPv6Multicast: false, IPAddressToString: text });
    const raw = [
      {
        Identity: { Name: "Inbound from Office 365", DistinguishedName: "CN=Inbound from Office 365,CN=SMTP Receive Connectors,CN=EX01" },
        Name: "Inbound from Office 365",
        Server: { Name: "EX01" },
        RemoteIPRanges: [
          { LowerBound: address("40.92.0.0", 23592), UpperBound: address("40.93.255.255", 4294925608), RangeFormat: 0, Expression: "40.92.0.0/15" },
          // Beyond the depth of a live session's object, only the bounds' own properties are left.
          { LowerBound: { Address: 16777343, AddressFamily: "InterNetwork" }, UpperBound: { Address: 16777343, AddressFamily: "InterNetwork" } },
        ],
      },
      // Beyond ConvertTo-Json's depth, the identity and the ranges are their text.
      { Identity: "EX02\\Inbound from Office 365", RemoteIPRanges: "40.107.0.0/16 104.47.0.0/17" },
    ];
    const inv = parseInventory(raw, { source: "rc.json", tenant: "contoso.onmicrosoft.com" });
    expect(inv.receiveConnectors.map((c) => [c.identity, c.remoteIPRanges])).toEqual([
      ["EX01\\Inbound from Office 365", ["40.92.0.0/15", "127.0.0.1"]],
      ["EX02\\Inbound from Office 365", ["40.107.0.0/16", "104.47.0.0/17"]],
    ]);
  });

  it("names the bound that is no address", () => {
    const raw = [{ Identity: "EX01\\A", RemoteIPRanges: [{ LowerBound: { Port: 25 }, UpperBound: "40.93.255.255" }] }];
    expect(() => parseInventory(raw, { source: "rc.json", tenant: "contoso.onmicrosoft.com" })).toThrow(
      "rc.json: [0].RemoteIPRanges[0].LowerBound: is an object: expected an IP address",
    );
  });

  it("reads the objects, taking Expression from each IPRange", () => {
    const inv = parseInventory(example("get-receiveconnector.json"), { source: "rc.json", tenant: "contoso.onmicrosoft.com", mode: "exact" });
    expect(inv.receiveConnectors).toHaveLength(2);
    expect(inv.receiveConnectors[0]).toEqual({
      identity: "EX01\\Inbound from Office 365",
      mode: "exact",
      remoteIPRanges: ["40.92.0.0/15", "40.107.0.0/16", "104.47.0.0/17", "65.55.88.0/24", "127.0.0.1"],
      protected: [],
      removable: [],
      trustedForCloudMail: false,
      modeFrom: "option",
    });
    expect(inv.receiveConnectors[1]!.remoteIPRanges).toEqual(["::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "0.0.0.0-255.255.255.255"]);
  });

  it("takes a single object, and builds the identity from Server and Name when Identity is an object", () => {
    const inv = parseInventory(
      { Identity: { Name: "x" }, Name: "Relay", Server: { Name: "EX03" }, RemoteIPRanges: ["192.168.1.10(255.255.255.0)"] },
      { source: "one.json", tenant: "contoso.onmicrosoft.com" },
    );
    expect(inv.receiveConnectors[0]!.identity).toBe("EX03\\Relay");
    expect(inv.receiveConnectors[0]!.mode).toBe("superset");
  });

  it("needs a tenant, and names the connector of a bad entry", () => {
    expect(errorOf(() => parseInventory(example("get-receiveconnector.json"), { source: "rc.json" })).message).toBe(
      "rc.json: is raw Get-ReceiveConnector output, which names no tenant: give the tenant (--tenant / ?tenant=)",
    );
    const raw = [
      { Identity: "EX01\\A", RemoteIPRanges: ["1.2.3.4"] },
      { Identity: "EX01\\B", RemoteIPRanges: ["1.2.3"] },
    ];
    expect(errorOf(() => parseInventory(raw, { source: "rc.json", tenant: "contoso.onmicrosoft.com" })).message).toMatch(
      /^rc\.json: \[1\]\.RemoteIPRanges\[0\]: "1\.2\.3"/,
    );
  });
});

describe("strict documents and options that do not apply", () => {
  const base = { tenant: "contoso.onmicrosoft.com", allowlists: [{ name: "fw", entries: ["40.92.0.0/15"] }] };
  it.each([
    [
      "a misspelt top-level key",
      { tenant: "contoso.onmicrosoft.com", allowlist: [{ name: "fw", entries: [] }] },
      {},
      'i.json: has an unknown key "allowlist" (a typo?)',
    ],
    ["a misspelt key of an allowlist", { tenant: "contoso.onmicrosoft.com", allowlists: [{ name: "fw", entires: [] }] }, {}, "i.json: allowlists[0]"],
    [
      "an inventory with only a tenant",
      { tenant: "contoso.onmicrosoft.com" },
      {},
      "i.json: lists no receive connectors and no allowlists: there is nothing to check",
    ],
    ["an empty export", [], { tenant: "contoso.onmicrosoft.com" }, "i.json: holds no objects (the export is empty)"],
    [
      "a tenant option that contradicts the document",
      base,
      { tenant: "fabrikam.onmicrosoft.com" },
      'i.json: names tenant "contoso.onmicrosoft.com", but',
    ],
    ["an instance option that contradicts the document", base, { instance: "China" }, 'i.json: names instance "Worldwide", but'],
    ["a mode option for a document without raw connectors", base, { mode: "exact" }, "applies to raw Get-ReceiveConnector output"],
    [
      "a -Depth 1 export, with the type name in place of each range",
      [{ Identity: "EX01\\Inbound", RemoteIPRanges: ["Microsoft.Exchange.Data.IPRange"] }],
      { tenant: "contoso.onmicrosoft.com" },
      'i.json: [0].RemoteIPRanges[0]: "Microsoft.Exchange.Data.IPRange" is a type name where the object should be: the export was cut short; ' +
        "export with ConvertTo-Json -Depth 6 or with Export-Clixml",
    ],
    [
      "a name with a right-to-left override",
      { ...base, allowlists: [{ name: "fw\u202eni", entries: [] }] },
      {},
      "i.json: allowlists[0].name: must not contain control, bidirectional",
    ],
    [
      "a name with a zero-width space",
      { ...base, allowlists: [{ name: "f\u200bw", entries: [] }] },
      {},
      "i.json: allowlists[0].name: must not contain",
    ],
    [
      "a connector name longer than Exchange allows",
      { tenant: "contoso.onmicrosoft.com", receiveConnectors: [{ identity: `EX01\\${"x".repeat(65)}`, remoteIPRanges: [] }] },
      {},
      "i.json: receiveConnectors[0].identity: expected a connector name of at most 64 characters after the server",
    ],
    [
      "a tenant name longer than a DNS name",
      { ...base, tenant: `${"a".repeat(250)}.onmicrosoft.com` },
      {},
      "i.json: tenant: expected a tenant name of at most 253 characters",
    ],
  ])("refuses %s", (_what, data, options, expected) => {
    const error = errorOf(() => parseInventory(data, { source: "i.json", ...options }));
    expect(error.message.startsWith(expected) || error.message.includes(expected)).toBe(true);
    expect(error.message).not.toMatch(/\n/);
  });

  it("names the option as the command line writes it", () => {
    const error = errorOf(() => parseInventory(base, { source: "i.json", tenant: "x.onmicrosoft.com", optionName: (n) => `--${n}` }));
    expect(error.message).toBe('i.json: names tenant "contoso.onmicrosoft.com", but --tenant says "x.onmicrosoft.com"; give one or the other');
  });

  it("accepts options that agree with the document", () => {
    expect(parseInventory(base, { source: "i.json", tenant: "Contoso.onmicrosoft.com", instance: "worldwide" }).tenant).toBe(
      "contoso.onmicrosoft.com",
    );
  });
});
