import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { oneLine, redactUrls, StateStoreError } from "../errors.js";
import { type FeedState, loadFeedState } from "../feed/feed-state.js";
import type { Instance } from "../feed/instances.js";
import { feedStaleness } from "../feed/staleness.js";
import { instancesInUse } from "../run/feeds.js";
import type { HandlerDeps } from "./deps.js";
import { answer, json, loadDeps } from "./http.js";

type CheckResult = "ok" | "failed" | "not checked";

/** The feed in force for one instance, as the health answer shows it. */
interface FeedHealth {
  instance: Instance;
  /** Null when no feed was ever accepted (or the one in force is an unversioned saved feed). */
  version: string | null;
  fetchedAt: string | null;
  /** When /version was last asked. */
  lastVersionCheckAt: string | null;
  /** When the feed in force was last known to be current, and how long ago, in whole seconds. */
  confirmedAt: string | null;
  ageSeconds: number | null;
  refused?: { version: string | null; at: string };
  throttledUntil?: string;
}

const HOUR_MS = 3600_000;

/**
 * GET /api/health: whether the app can work, from cheap checks. The settings
 * are valid (the dependencies build), the state store answers (the keys of
 * the feed documents, one small read), and for each instance in use the feed
 * in force: its version, when it was fetched and last confirmed current, and
 * how old that is. 200 `{"status":"ok",…}`, with `warnings` for a feed that
 * is missing or older than checks accept; 503 `{"status":"failing",…}` with
 * one line per failed check. The lines never quote a setting, the store or an
 * error: those go to the function log, which they point to. The newest run is
 * left out: finding it would mean reading every run's header.
 */
export function health(deps: () => Promise<HandlerDeps>) {
  return (_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> =>
    answer(context, async () => {
      const seeLog = `see the function log for invocation ${context.invocationId}`;
      const failing = (checks: Record<"settings" | "store", CheckResult>, error: string, cause: unknown) => {
        context.error(`${context.functionName}: ${error}: ${redactUrls(oneLine(cause))}`);
        return json(503, { status: "failing", checkedAt: new Date().toISOString(), checks, errors: [`${error}; ${seeLog}`] });
      };

      let d: HandlerDeps;
      try {
        d = await loadDeps(deps);
      } catch (error) {
        // Building them reads the settings, then the store (the installation's id): a store error means the settings were good.
        return error instanceof StateStoreError
          ? failing({ settings: "ok", store: "failed" }, "state store: not reachable or failing", error)
          : failing({ settings: "failed", store: "not checked" }, "settings: the app settings are not valid", error);
      }

      let instances: Instance[];
      try {
        instances = await instancesInUse(d.store, d.settings.instances, (line) => context.warn(line));
      } catch (error) {
        return failing({ settings: "ok", store: "failed" }, "state store: not reachable or failing", error);
      }

      const now = d.now();
      const feeds: FeedHealth[] = [];
      const warnings: string[] = [];
      for (const instance of instances) {
        let state: FeedState;
        try {
          ({ state } = await loadFeedState(d.store, instance));
        } catch (error) {
          return failing({ settings: "ok", store: "failed" }, `state store: the ${instance} feed state could not be read`, error);
        }
        const feed = feedHealth(state, now);
        feeds.push(feed);
        if (!state.lastGood) warnings.push(`${instance} feed: none accepted yet; checks fail until one is`);
        else if (feed.ageSeconds !== null && feed.ageSeconds * 1000 > d.settings.maxFeedAgeMs)
          warnings.push(
            `${instance} feed: last confirmed current ${Math.floor(feed.ageSeconds / 3600)} hours ago, longer than checks accept ` +
              `(${Math.round(d.settings.maxFeedAgeMs / HOUR_MS)} hours) when the feed service cannot be reached`,
          );
        if (feed.refused) warnings.push(`${instance} feed: version ${feed.refused.version ?? "(none)"} was refused at ${feed.refused.at}`);
      }
      return json(200, {
        status: "ok",
        checkedAt: now.toISOString(),
        checks: { settings: "ok", store: "ok" } satisfies Record<string, CheckResult>,
        feeds,
        ...(warnings.length > 0 ? { warnings } : {}),
      });
    });
}

function feedHealth(state: FeedState, now: Date): FeedHealth {
  const inForce = state.lastGood;
  // The age a check would report if the service failed now: since the feed in force was last known to be current.
  const staleness = feedStaleness(state, { outcome: "failed", error: "", at: now }, now);
  return {
    instance: state.instance,
    version: inForce?.version ?? null,
    fetchedAt: inForce?.fetchedAt ?? null,
    lastVersionCheckAt: state.lastVersionCheck?.at ?? null,
    confirmedAt: staleness?.confirmedAt ?? null,
    ageSeconds: staleness ? Math.floor(staleness.ageMs / 1000) : null,
    ...(state.refused ? { refused: { version: state.refused.version, at: state.refused.at } } : {}),
    ...(state.throttledUntil ? { throttledUntil: state.throttledUntil } : {}),
  };
}
