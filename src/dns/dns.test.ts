import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DnsServer, startDnsServer } from "../../test/support/dns-server.js";
import { lookUpBlocklists, reversed } from "./blocklist.js";
import { createDnsClient, type DnsClient } from "./dns-client.js";
import { resolveSmartHosts } from "./smart-host-routes.js";

let server: DnsServer;
let silent: DnsServer;
let dns: DnsClient;

beforeAll(async () => {
  server = await startDnsServer({
    // Two hosts at 10 and a DR host at 20: the highly available pattern.
    "ha.contoso.com": {
      MX: [
        [20, "dr.contoso.com"],
        [10, "mail1.contoso.com"],
        [10, "mail2.contoso.com"],
      ],
    },
    "mail1.contoso.com": { A: ["203.0.113.10"] },
    "mail2.contoso.com": { A: ["203.0.113.11"], AAAA: ["2001:db8::11"] },
    "dr.contoso.com": { A: ["198.51.100.20"] },
    "single.contoso.com": { A: ["203.0.113.25"] },
    "gone-host.contoso.com": { MX: [[10, "nowhere.contoso.com"]] },
    "nullmx.contoso.com": { MX: [[0, "."]] },
    "empty.contoso.com": { TXT: ["v=spf1 -all"] },
    "broken.contoso.com": { rcode: "SERVFAIL" },
    "25.113.0.203.bl.example": { A: ["127.0.0.2"], TXT: ["Listed: see https://bl.example/lookup?ip=203.0.113.25"] },
    "25.113.0.203.refusing.example": { A: ["127.255.255.254"] },
    "25.113.0.203.wildcard.example": { A: ["198.51.100.99"] },
    "25.113.0.203.down.example": { rcode: "SERVFAIL" },
  });
  silent = await startDnsServer({ "mail.contoso.com": { silent: true } });
  dns = createDnsClient({ servers: [server.address], timeoutMs: 500, tries: 1 });
});

afterAll(async () => {
  await server.close();
  await silent.close();
});

describe("DNS client on a DNS server on 127.0.0.1", () => {
  it("tells records, NXDOMAIN, NODATA and a failure apart", async () => {
    expect(await dns.a("single.contoso.com")).toEqual({ status: "found", records: ["203.0.113.25"] });
    expect(await dns.mx("ha.contoso.com")).toMatchObject({
      status: "found",
      records: expect.arrayContaining([{ exchange: "dr.contoso.com", preference: 20 }]),
    });
    expect(await dns.a("nothing.contoso.com")).toEqual({ status: "nxdomain" });
    expect(await dns.mx("single.contoso.com")).toEqual({ status: "nodata" });
    expect(await dns.a("broken.contoso.com")).toEqual({ status: "failed", error: "the server failed (SERVFAIL)" });
    expect(server.questions).toContain("MX ha.contoso.com");
  });

  it("gives up on a silent resolver within its timeout, as a failure", async () => {
    const started = Date.now();
    const quiet = createDnsClient({ servers: [silent.address], timeoutMs: 300, tries: 1 });
    expect(await quiet.a("mail.contoso.com")).toEqual({ status: "failed", error: "no answer in time" });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(quiet.servers).toBe(silent.address);
  });
});

describe("smart host routes, as Exchange Online resolves them", () => {
  it("follows MX records by preference to their addresses, and the A record only without MX", async () => {
    const [ha, single, ip] = await resolveSmartHosts(dns, ["HA.contoso.com.", "single.contoso.com", "[192.0.2.7]"]);
    expect(ha).toMatchObject({ name: "ha.contoso.com", via: "mx", status: "resolved" });
    expect(ha?.hosts.map((h) => [h.preference, h.name, h.addresses])).toEqual([
      [10, "mail1.contoso.com", ["203.0.113.10"]],
      [10, "mail2.contoso.com", ["203.0.113.11", "2001:db8::11"]],
      [20, "dr.contoso.com", ["198.51.100.20"]],
    ]);
    expect(single).toMatchObject({ via: "address", status: "resolved", hosts: [{ name: "single.contoso.com", addresses: ["203.0.113.25"] }] });
    expect(ip).toMatchObject({ name: "192.0.2.7", via: "ip", status: "resolved", hosts: [{ addresses: ["192.0.2.7"] }] });
  });

  it("calls a name unresolvable only when DNS said so, and unknown when it gave no answer", async () => {
    const [missing, gone, nullMx, empty, broken] = await resolveSmartHosts(dns, [
      "missing.contoso.com",
      "gone-host.contoso.com",
      "nullmx.contoso.com",
      "empty.contoso.com",
      "broken.contoso.com",
    ]);
    expect(missing).toMatchObject({ status: "unresolvable", error: "the name does not exist (NXDOMAIN)" });
    expect(gone).toMatchObject({ status: "unresolvable", error: "no MX host has an address", hosts: [{ name: "nowhere.contoso.com" }] });
    expect(nullMx).toMatchObject({ status: "unresolvable", hosts: [{ error: "a null MX: the name takes no mail" }] });
    expect(empty).toMatchObject({ via: "address", status: "unresolvable", error: "no MX, A or AAAA records" });
    expect(broken).toMatchObject({ status: "unknown", error: "MX lookup: the server failed (SERVFAIL)" });
  });
});

describe("DNS blocklists", () => {
  it("asks under the reversed address: octets for IPv4, nibbles for IPv6", () => {
    expect(reversed("203.0.113.25")).toBe("25.113.0.203");
    expect(reversed("2001:db8::25")).toBe("5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2");
  });

  it("counts 127.0.0.x as listed with the list's reason, a refusal or an odd answer as unknown, NXDOMAIN as clean", async () => {
    const zones = ["bl.example", "refusing.example", "wildcard.example", "down.example", "clean.example"];
    const lookups = await lookUpBlocklists(dns, ["203.0.113.25"], zones);
    expect(lookups.map((l) => [l.zone, l.status])).toEqual([
      ["bl.example", "listed"],
      ["refusing.example", "unknown"],
      ["wildcard.example", "unknown"],
      ["down.example", "unknown"],
      ["clean.example", "not-listed"],
    ]);
    expect(lookups[0]).toMatchObject({ answers: ["127.0.0.2"], reason: "Listed: see https://bl.example/lookup?ip=203.0.113.25" });
    expect(lookups[1]?.error).toBe("the list refuses queries through public or open resolvers (127.255.255.254)");
    expect(lookups[2]?.error).toMatch(/^198\.51\.100\.99 is not a blocklist answer/);
    expect(server.questions).toContain("A 25.113.0.203.clean.example");
  });
});
