import { createHash } from "node:crypto";
import { setTimeout as wait } from "node:timers/promises";
import { InputError } from "../errors.js";
import { createHttpClient } from "../http/client.js";
import { isLoopback } from "../http/loopback.js";
import { WEBHOOK_RETRY } from "../http/retry.js";
import type { Sink } from "./alert.js";
import { teamsMessage } from "./teams-card.js";

export interface TeamsSinkOptions {
  /** The Workflows webhook ("When a Teams webhook request is received"), with its `sig=`: a secret. */
  webhookUrl: string;
  /** The setting the URL came from, as errors name it. Default "teams.webhookUrl". */
  setting?: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1), for the backoff's jitter. */
  random?: () => number;
  /** Milliseconds since the epoch: the rate limit's clock, and what a `Retry-After` date is read against. */
  now?: () => number;
  /** Per attempt. Default 30 s. */
  timeoutMs?: number;
  /** The card's size cap in UTF-8 bytes of JSON. Default 28,000. */
  maxBytes?: number;
}

/** Teams throttles a webhook above about four posts a second. */
export const TEAMS_POSTS_PER_SECOND = 4;

/**
 * The Teams channel: posts each alert's card to a Power Automate Workflows
 * webhook through the product's HTTP client with WEBHOOK_RETRY (429 and 5xx
 * retried with backoff, `Retry-After` honoured; a timed-out post is not sent
 * again), at most four requests a second per webhook, retries included. A
 * 2xx is delivered: the webhook answers 202 as soon as it has the post, even
 * if the flow fails later. The URL must be https (http only to a loopback
 * address, for tests) and never appears in an error: its signature, its
 * query and the URL itself are the client's secrets. A failure carries
 * `attempts`, the requests it put on the wire, as a delivery records it.
 *
 * @example
 * const teams = createTeamsSink({ webhookUrl: config.teams.webhookUrl });
 * const { attempts } = await teams.deliver(alert);
 */
export function createTeamsSink(options: TeamsSinkOptions): Sink {
  const setting = options.setting ?? "teams.webhookUrl";
  const url = parseWebhookUrl(options.webhookUrl, setting);
  const query = Object.fromEntries(url.searchParams);
  const secrets = [options.webhookUrl, url.href, url.search.slice(1), ...url.searchParams.getAll("sig")];
  const key = createHash("sha256").update(url.href).digest("hex");
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => wait(ms));
  const fetchImpl = options.fetch ?? globalThis.fetch;

  return {
    channel: "teams",
    async deliver(alert) {
      let attempts = 0;
      // Every attempt waits its turn, so retries count against the limit too.
      const limited: typeof fetch = async (input, init) => {
        await takeTurn(key, now, sleep);
        attempts++;
        return fetchImpl(input, init);
      };
      const http = createHttpClient({
        baseUrl: url.origin + url.pathname,
        service: "the Teams webhook",
        retry: WEBHOOK_RETRY,
        fetch: limited,
        timeoutMs: options.timeoutMs,
        maxResponseBytes: 64 * 1024,
        secrets,
        sleep,
        random: options.random,
        now,
      });
      try {
        const response = await http.request({
          method: "POST",
          query,
          headers: { "content-type": "application/json; charset=utf-8" },
          json: teamsMessage(alert, { maxBytes: options.maxBytes }),
        });
        return { attempts: response.attempts };
      } catch (error) {
        // How many requests went out (0 when none did), as the delivery record reads it (deliver.ts).
        if (error instanceof Error) Object.defineProperty(error, "attempts", { value: attempts, enumerable: false, configurable: true });
        throw error;
      }
    },
  };
}

/** https, or http to a loopback address; no credentials or fragment. The error names the setting, never the URL. */
function parseWebhookUrl(text: string, setting: string): URL {
  const refused = () =>
    new InputError("expected the https URL of a Workflows webhook (http only to a loopback address), without credentials", { source: setting });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refused();
  }
  const secure = url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname));
  if (!secure || url.username || url.password || url.hash) throw refused();
  return url;
}

/** 127.0.0.0/8, ::1 and localhost, as URL writes host names (IPv4 in dotted decimal, IPv6 in brackets). */

/** Per webhook (by a hash of its URL), the times of its latest posts: past ones and ones already promised to a waiting post. */
const recentPosts = new Map<string, number[]>();

/**
 * Waits until a post to the webhook keeps within four a second: the fifth
 * post goes no sooner than a second after the first of the last four. The
 * slot is taken before waiting, so posts that wait together still leave in
 * order and a second apart per four.
 */
async function takeTurn(key: string, now: () => number, sleep: (ms: number) => Promise<void>): Promise<void> {
  const t = now();
  const times = recentPosts.get(key) ?? [];
  const oldest = times.length >= TEAMS_POSTS_PER_SECOND ? times[times.length - TEAMS_POSTS_PER_SECOND]! : undefined;
  const at = oldest === undefined ? t : Math.max(t, oldest + 1000);
  times.push(at);
  recentPosts.set(key, times.slice(-TEAMS_POSTS_PER_SECOND));
  if (recentPosts.size > 1000) forgetQuiet(t);
  if (at > t) await sleep(at - t);
}

/** Drops webhooks whose last post is more than a second old: they no longer limit anything. */
function forgetQuiet(t: number): void {
  for (const [key, times] of recentPosts) if ((times.at(-1) ?? 0) + 1000 <= t) recentPosts.delete(key);
}
