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
});
