import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { selectEopSmtp } from "./eop.js";
import { type EndpointSet, endpointSetsSchema, validate } from "./schema.js";

const worldwide = validate(
  endpointSetsSchema,
  JSON.parse(readFileSync(new URL("../../test/fixtures/m365/endpoints-worldwide-2025.json", import.meta.url), "utf8")),
  "endpoints-worldwide-2025.json",
);

const set = (fields: Partial<EndpointSet> & Pick<EndpointSet, "id">): EndpointSet => ({
  serviceArea: "Exchange",
  serviceAreaDisplayName: "Exchange Online",
  expressRoute: true,
  category: "Allow",
  required: true,
  ...fields,
});

describe("selectEopSmtp", () => {
  it("selects set 10 of the real Worldwide feed, not set 9 on 443 with the same ranges", () => {
    expect(selectEopSmtp(worldwide)).toEqual({
      ips: ["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17"],
      setIds: [10],
    });
  });

  it("keeps IPv6 entries in feed order", () => {
    const withIPv6 = worldwide.map((s) => (s.id === 10 ? { ...s, ips: [...(s.ips ?? []), "2a01:111:f400::/48", "2a01:111:f403::/48"] } : s));
    expect(selectEopSmtp(withIPv6).ips).toEqual([
      "40.92.0.0/15",
      "40.107.0.0/16",
      "52.100.0.0/14",
      "104.47.0.0/17",
      "2a01:111:f400::/48",
      "2a01:111:f403::/48",
    ]);
  });

  it("selects by area and port, whatever the id and with no URLs (sovereign clouds)", () => {
    const dod = [
      set({ id: 1, tcpPorts: "443", ips: ["52.127.0.0/21"] }),
      set({ id: 6, tcpPorts: "25", ips: ["52.127.80.0/23", "2001:489a:2202::/48"] }),
    ];
    expect(selectEopSmtp(dod)).toEqual({ ips: ["52.127.80.0/23", "2001:489a:2202::/48"], setIds: [6] });
    expect(selectEopSmtp([set({ id: 2, tcpPorts: "25", ips: ["42.159.33.192/27"] })]).setIds).toEqual([2]);
  });

  it('counts a set whose ports are "25, 587" or a range over 25, and unions their entries without duplicates', () => {
    const sets = [
      set({ id: 20, tcpPorts: "25, 587", ips: ["40.92.0.0/15", "40.107.0.0/16"] }),
      set({ id: 21, tcpPorts: "20-30", ips: ["40.107.0.0/16", "52.100.0.0/14"] }),
    ];
    expect(selectEopSmtp(sets)).toEqual({ ips: ["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14"], setIds: [20, 21] });
  });

  it("ignores port 25 outside Exchange, UDP 25 and sets without TCP ports", () => {
    const sets = [
      set({ id: 30, serviceArea: "Common", tcpPorts: "25", ips: ["10.0.0.0/8"] }),
      set({ id: 31, udpPorts: "25", ips: ["10.1.0.0/16"] }),
      set({ id: 32, ips: ["10.2.0.0/16"] }),
      set({ id: 33, tcpPorts: "250", ips: ["10.3.0.0/16"] }),
    ];
    expect(selectEopSmtp(sets)).toEqual({ ips: [], setIds: [] });
  });

  it("names an SMTP set even when it lists no IPs, so the caller can say so", () => {
    expect(selectEopSmtp([set({ id: 10, tcpPorts: "25", urls: ["*.mail.protection.outlook.com"] })])).toEqual({ ips: [], setIds: [10] });
  });
});
