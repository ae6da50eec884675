import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { failure } from "../../test/support/failure.js";
import { startTeamsStandIn, type TeamsStandIn } from "../../test/support/teams-stand-in.js";
import { HttpError, InputError, ThrottledError } from "../errors.js";
import { isLoopback } from "../http/loopback.js";
import type { Alert } from "./alert.js";
import { createTeamsSink, type TeamsSinkOptions } from "./teams-webhook.js";

const ALERT: Alert = {
  id: "contoso.onmicrosoft.com/2026-03-02T06-00-00Z-7f3a",
  tenant: "contoso.onmicrosoft.com",
  runId: "2026-03-02T06-00-00Z-7f3a",
  instance: "Worldwide",
  at: "2026-03-02T06:00:12.000Z",
  headline: "Drift: 1 finding needs attention.",
  transitions: [
    {
      kind: "new",
      alert: true,
      since: "2026-03-02T06:00:12.000Z",
      finding: {
        id: "missing-eop-range:receive-connector:EX01\\Inbound from Office 365",
        digest: "5f0c2a9e1d7b4c3a8e6f1b2d3c4a5e6f",
        rule: "missing-eop-range",
        severity: "error",
        subject: { kind: "receive-connector", name: "EX01\\Inbound from Office 365" },
        summary: "Receive connector EX01\\Inbound from Office 365 lacks 1 EOP range: 52.100.0.0/14.",
        impact: "Mail that Exchange Online Protection sends from these addresses does not match this connector.",
        ranges: ["52.100.0.0/14"],
        rangeCount: 1,
      },
    },
  ],
};

/** A clock that moves only when slept on (or when a test moves it), and the sleeps asked of it. */
function clock(start = 1_767_225_600_000) {
  const state = { t: start, sleeps: [] as number[] };
  return {
    state,
    now: () => state.t,
    sleep: async (ms: number) => {
      state.sleeps.push(ms);
      state.t += ms;
    },
  };
}

let teams: TeamsStandIn;
beforeEach(async () => {
  teams = await startTeamsStandIn();
});
afterEach(async () => {
  await teams.close();
});

function sink(overrides: Partial<TeamsSinkOptions> = {}) {
  const c = clock();
  const sent: number[] = [];
  const teamsSink = createTeamsSink({
    webhookUrl: teams.url,
    now: c.now,
    sleep: c.sleep,
    random: () => 0,
    timeoutMs: 2000,
    // When each request leaves, by the sink's clock.
    fetch: (input, init) => {
      sent.push(c.now());
      return fetch(input, init);
    },
    ...overrides,
  });
  return { sink: teamsSink, sleeps: c.state.sleeps, sent, clock: c };
}

describe("delivery", () => {
  it("posts the card as JSON and takes the 202 as delivered, in one attempt", async () => {
    const { sink: teamsSink, sleeps } = sink();
    expect(teamsSink.channel).toBe("teams");
    expect(await teamsSink.deliver(ALERT)).toEqual({ attempts: 1 });
    expect(sleeps).toEqual([]);
    expect(teams.requests).toHaveLength(1);
    const [request] = teams.requests;
    expect(request).toMatchObject({ method: "POST", sigValid: true, status: 202, contentType: "application/json; charset=utf-8" });
    expect(request?.query).toEqual({ "api-version": "1", sp: "/triggers/manual/run", sv: "1.0", sig: "…" });
    expect(request?.body).toMatchObject({ type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive" }] });
    expect(JSON.stringify(request?.body)).toContain("Receive connector EX01\\\\Inbound from Office 365");
    expect(JSON.stringify(request?.body)).not.toContain(teams.sig);
  });

  it("waits as a 429's Retry-After says, then delivers on the second attempt", async () => {
    teams.throttle(1, 1);
    const { sink: teamsSink, sleeps } = sink();
    expect(await teamsSink.deliver(ALERT)).toEqual({ attempts: 2 });
    expect(sleeps).toEqual([1000]);
    expect(teams.requests.map((r) => r.status)).toEqual([429, 202]);
  });

  it("retries a 500 and a 503 with backoff", async () => {
    teams.fail(500);
    teams.fail(503);
    const { sink: teamsSink, sleeps } = sink();
    expect(await teamsSink.deliver(ALERT)).toEqual({ attempts: 3 });
    expect(sleeps).toEqual([1000, 2000]);
    expect(teams.requests.map((r) => r.status)).toEqual([500, 503, 202]);
  });

  it("gives up after the policy's retries, saying how often it tried", async () => {
    teams.fail(503, 10);
    const { sink: teamsSink } = sink();
    const error = await failure(teamsSink.deliver(ALERT));
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(503);
    expect((error as unknown as { attempts: number }).attempts).toBe(4);
    expect(error.message).toMatch(/answered 503 Service Unavailable: .* \(4 attempts\)$/);
    expect(teams.requests).toHaveLength(4);
  });

  it("fails on a 400 at once, with an error that shows neither the signature nor the query, though the answer quoted them", async () => {
    teams.fail(400);
    const { sink: teamsSink } = sink();
    const error = await failure(teamsSink.deliver(ALERT));
    expect(error).toBeInstanceOf(HttpError);
    expect(error).not.toBeInstanceOf(ThrottledError);
    expect((error as HttpError).status).toBe(400);
    expect((error as unknown as { attempts: number }).attempts).toBe(1);
    const path = `/workflows/${teams.workflowId}/triggers/manual/paths/invoke`;
    expect(error.message).toMatch(new RegExp(`^POST http://127\\.0\\.0\\.1:\\d+${path} answered 400 Bad Request: `));
    const query = new URL(teams.url).search;
    for (const secret of [teams.sig, query, query.slice(1), "api-version", teams.url]) expect(error.message).not.toContain(secret);
    expect((error as HttpError).url).not.toContain(teams.sig);
    expect(teams.requests).toHaveLength(1);
  });

  it("sends a summarised card to a webhook that takes at most 28 KB", async () => {
    const many: Alert = {
      ...ALERT,
      transitions: Array.from({ length: 80 }, (_, i) => ({
        ...ALERT.transitions[0]!,
        finding: {
          ...ALERT.transitions[0]!.finding,
          id: `missing-eop-range:allowlist:fw-${i}`,
          subject: { kind: "allowlist", name: `fw-${i}` },
          ranges: Array.from({ length: 50 }, (_, j) => `10.${i}.${j}.0/24`),
          rangeCount: 50,
        },
      })),
    };
    const { sink: teamsSink } = sink();
    expect(await teamsSink.deliver(many)).toEqual({ attempts: 1 });
    expect(teams.requests[0]?.bytes).toBeLessThanOrEqual(28_000);
    expect(teams.requests[0]?.status).toBe(202);
  });
});

describe("the webhook URL", () => {
  const SECRET = "c2VjcmV0LXNpZ25hdHVyZS1kby1ub3Qtc2hvdw";

  it("must be https: http to a host that is not loopback is refused at construction, naming the setting and not the URL", () => {
    for (const webhookUrl of [
      `http://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=${SECRET}`,
      `http://127.0.0.1.evil.example/workflows/abc?sig=${SECRET}`,
      `ftp://127.0.0.1/workflows/abc?sig=${SECRET}`,
      `https://user:${SECRET}@prod-01.westeurope.logic.azure.com/workflows/abc`,
      `not a URL sig=${SECRET}`,
    ]) {
      let error: unknown;
      try {
        createTeamsSink({ webhookUrl });
      } catch (e) {
        error = e;
      }
      expect(error, webhookUrl).toBeInstanceOf(InputError);
      const message = (error as Error).message;
      expect(message).toMatch(/^teams\.webhookUrl: expected the https URL of a Workflows webhook/);
      expect(message).not.toContain(SECRET);
      expect(message).not.toMatch(/logic\.azure\.com|evil|127\.0\.0\.1/);
    }
    expect(() => createTeamsSink({ webhookUrl: "http://example.com/x", setting: "MAILFLOW_GUARD_TEAMS_WEBHOOK" })).toThrow(
      /^MAILFLOW_GUARD_TEAMS_WEBHOOK: /,
    );
  });

  it("takes https anywhere and http to a loopback address", () => {
    for (const webhookUrl of [
      `https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=${SECRET}`,
      "http://127.0.0.1:7071/workflows/abc",
      "http://127.8.9.10/workflows/abc",
      "http://[::1]:7071/workflows/abc",
      "http://localhost:7071/workflows/abc",
    ])
      expect(createTeamsSink({ webhookUrl }).channel, webhookUrl).toBe("teams");
    expect(isLoopback("127.0.0.1")).toBe(true);
    expect(isLoopback("128.0.0.1")).toBe(false);
    expect(isLoopback("[::2]")).toBe(false);
  });
});

describe("the rate limit", () => {
  it("spaces a burst of six posts to four a second", async () => {
    const { sink: teamsSink, sleeps, sent } = sink();
    for (let i = 0; i < 6; i++) expect(await teamsSink.deliver(ALERT)).toEqual({ attempts: 1 });
    expect(sleeps).toEqual([1000]);
    const t = sent[0]!;
    expect(sent.map((s) => s - t)).toEqual([0, 0, 0, 0, 1000, 1000]);
    for (let i = 4; i < sent.length; i++) expect(sent[i]! - sent[i - 4]!).toBeGreaterThanOrEqual(1000);
    expect(teams.requests.map((r) => r.status)).toEqual([202, 202, 202, 202, 202, 202]);
  });

  it("keeps posts that start together in order and a second apart per four", async () => {
    // A clock that does not move: every wait is counted from the same instant.
    const frozen = 1_767_225_600_000;
    const sleeps: number[] = [];
    const teamsSink = createTeamsSink({
      webhookUrl: teams.url,
      now: () => frozen,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    await Promise.all(Array.from({ length: 6 }, () => teamsSink.deliver(ALERT)));
    expect(sleeps).toEqual([1000, 1000]);
    expect(teams.requests).toHaveLength(6);
  });

  it("waits only what is left of the second", async () => {
    const { sink: teamsSink, sleeps, clock: c } = sink();
    for (let i = 0; i < 5; i++) {
      await teamsSink.deliver(ALERT);
      c.state.t += 100;
    }
    expect(sleeps).toEqual([600]);
  });

  it("limits each webhook on its own", async () => {
    const other = await startTeamsStandIn();
    try {
      const { sink: first, sleeps } = sink();
      const { sink: second, sleeps: otherSleeps } = sink({ webhookUrl: other.url });
      for (let i = 0; i < 4; i++) await first.deliver(ALERT);
      for (let i = 0; i < 4; i++) await second.deliver(ALERT);
      expect([...sleeps, ...otherSleeps]).toEqual([]);
      expect(other.requests).toHaveLength(4);
    } finally {
      await other.close();
    }
  });
});
