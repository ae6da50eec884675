import { randomUUID } from "node:crypto";
import { sinksFor } from "../alerts/channels.js";
import { outsideDeps } from "../check/outside-sources.js";
import { settingsFromEnv } from "../config.js";
import { exchangeOnlineReader } from "../exchange-online/live.js";
import { createFeedClient } from "../feed/client.js";
import { clientRequestId } from "../state/installation.js";
import { openStateStore } from "../state/open.js";
import { storageSettingFromEnv } from "../state/storage-setting.js";
import type { HandlerDeps } from "./deps.js";

/** The handlers' dependencies from app settings: Table Storage, the live feed, the clock. */
export async function handlerDepsFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<HandlerDeps> {
  const settings = settingsFromEnv(env);
  const store = openStateStore(storageSettingFromEnv(env));
  const feed = createFeedClient({ baseUrl: settings.feedBaseUrl, clientRequestId: await clientRequestId(store) });
  return {
    store,
    feed,
    settings,
    now: () => new Date(),
    newRunId: randomUUID,
    log: (line) => console.log(line),
    sinks: (config) => sinksFor(config, settings),
    publicBaseUrl: settings.publicBaseUrl,
    exchangeOnline: await exchangeOnlineReader(settings.exchangeOnline),
    // DNS always: it leaves Azure where port 25 does not. Port 25 only where the setting says the platform allows it.
    ...outsideDeps(settings, { dns: true, probe: settings.outside.probeSmartHosts }),
  };
}

let shared: Promise<HandlerDeps> | undefined;

/** Built once per worker process and shared by its functions; a failed build (bad settings) is tried again next time. */
export function appDeps(): Promise<HandlerDeps> {
  shared ??= handlerDepsFromEnv().catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}
