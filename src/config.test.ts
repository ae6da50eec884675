import { describe, expect, it } from "vitest";
import { settingsFromEnv } from "./config.js";

const HOUR = 3600_000;

describe("settings", () => {
  it("reads the maximum feed age in days or hours, 7 days by default", () => {
    expect(settingsFromEnv({}).maxFeedAgeMs).toBe(7 * 24 * HOUR);
    expect(settingsFromEnv({ MAILFLOW_GUARD_MAX_FEED_AGE: "10d" }).maxFeedAgeMs).toBe(240 * HOUR);
    expect(settingsFromEnv({ MAILFLOW_GUARD_MAX_FEED_AGE: " 36H " }).maxFeedAgeMs).toBe(36 * HOUR);
  });

  it.each(["7", "1.5d", "0d", "-1d", "7 days", "PT36H"])("refuses the feed age %j in one line naming the setting", (value) => {
    expect(() => settingsFromEnv({ MAILFLOW_GUARD_MAX_FEED_AGE: value })).toThrow(
      /^settings: MAILFLOW_GUARD_MAX_FEED_AGE: expected whole days or hours, such as "7d" or "36h"$/,
    );
  });

  it("keeps 30 runs per tenant by default, and at least one", () => {
    expect(settingsFromEnv({}).keepRuns).toBe(30);
    expect(settingsFromEnv({ MAILFLOW_GUARD_KEEP_RUNS: "5" }).keepRuns).toBe(5);
    expect(() => settingsFromEnv({ MAILFLOW_GUARD_KEEP_RUNS: "0" })).toThrow(/MAILFLOW_GUARD_KEEP_RUNS/);
  });

  it("reads resolvers, blocklists, egress addresses and the probe switch; nothing outside is asked by default", () => {
    expect(settingsFromEnv({}).outside).toEqual({ dnsServers: undefined, blocklists: [], egressAddresses: [], probeSmartHosts: false });
    const outside = settingsFromEnv({
      MAILFLOW_GUARD_DNS_SERVERS: "127.0.0.1:5353, 10.0.0.4,[::1]:53",
      MAILFLOW_GUARD_BLOCKLISTS: "Zen.Spamhaus.org., bl.spamcop.net",
      MAILFLOW_GUARD_EGRESS_ADDRESSES: "203.0.113.25,2001:db8::25",
      MAILFLOW_GUARD_PROBE_SMART_HOSTS: "true",
    }).outside;
    expect(outside).toEqual({
      dnsServers: ["127.0.0.1:5353", "10.0.0.4", "[::1]:53"],
      blocklists: ["zen.spamhaus.org", "bl.spamcop.net"],
      egressAddresses: ["203.0.113.25", "2001:db8::25"],
      probeSmartHosts: true,
    });
  });

  it.each([
    ["MAILFLOW_GUARD_DNS_SERVERS", "dns.example:53", /^settings: MAILFLOW_GUARD_DNS_SERVERS\[0\]: expected resolvers such as/],
    ["MAILFLOW_GUARD_DNS_SERVERS", "127.0.0.1:99999", /MAILFLOW_GUARD_DNS_SERVERS/],
    ["MAILFLOW_GUARD_BLOCKLISTS", "zen.spamhaus.org,not a zone", /^settings: MAILFLOW_GUARD_BLOCKLISTS\[1\]: expected DNS zones/],
    ["MAILFLOW_GUARD_EGRESS_ADDRESSES", "203.0.113.0/24", /^settings: MAILFLOW_GUARD_EGRESS_ADDRESSES\[0\]: expected IPv4 or IPv6 addresses/],
    ["MAILFLOW_GUARD_PROBE_SMART_HOSTS", "yes", /^settings: MAILFLOW_GUARD_PROBE_SMART_HOSTS: expected "true" or "false"$/],
  ])("refuses %s=%j in one line naming the setting", (name, value, message) => {
    expect(() => settingsFromEnv({ [name]: value })).toThrow(message);
  });
});
