import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { type Settings, settingsFromEnv } from "../config.js";
import { InputError } from "../errors.js";
import { createFeedClient } from "../feed/client.js";
import type { FeedSource } from "../feed/sync.js";
import { FileStateStore } from "../state/file-store.js";
import { clientRequestId } from "../state/installation.js";
import { type StorageSetting, storageSettingFromEnv } from "../state/storage-setting.js";
import type { StateStore } from "../state/store.js";

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export const DEFAULT_STATE_DIR = ".mailflow-guard";

/** `--storage` wins, then `--state`, then the usual AzureWebJobsStorage settings, then the local state directory. */
export function storageFor(options: { storage?: string | undefined; state?: string | undefined }, io: CliIo): StorageSetting {
  if (options.storage !== undefined) {
    if (options.storage.trim() === "") throw new InputError("--storage: expected a Table Storage connection string or UseDevelopmentStorage=true");
    return { kind: "table", connectionString: options.storage, tableName: io.env.MAILFLOW_GUARD_TABLE || undefined };
  }
  if (options.state !== undefined) return { kind: "directory", dir: resolve(io.cwd, options.state) };
  return storageSettingFromEnv(io.env, resolve(io.cwd, io.env.MAILFLOW_GUARD_STATE_DIR || DEFAULT_STATE_DIR));
}

/** The state store; the Azure SDKs are loaded only when it is Table Storage. */
export async function openStore(options: { storage?: string | undefined; state?: string | undefined }, io: CliIo): Promise<StateStore> {
  const setting = storageFor(options, io);
  if (setting.kind === "directory") {
    const label = options.state !== undefined ? "--state" : io.env.MAILFLOW_GUARD_STATE_DIR ? "MAILFLOW_GUARD_STATE_DIR" : "the state directory";
    // A file where the directory should be fails every read and write of the store: say so once, up front.
    if ((await stat(setting.dir).catch(() => undefined))?.isFile()) {
      throw new InputError("is a file, not a directory", { source: `${label} ${setting.dir}` });
    }
    return new FileStateStore(setting.dir);
  }
  const { openStateStore } = await import("../state/open.js");
  return openStateStore(setting);
}

/** Settings from the environment, with the command line's overrides. */
export function cliSettings(io: CliIo, overrides: { maxRemovalShare?: string | undefined; acceptFeedVersion?: string | undefined }): Settings {
  return settingsFromEnv({
    ...io.env,
    ...(overrides.maxRemovalShare !== undefined ? { MAILFLOW_GUARD_MAX_REMOVAL_SHARE: overrides.maxRemovalShare } : {}),
    ...(overrides.acceptFeedVersion !== undefined ? { MAILFLOW_GUARD_ACCEPT_FEED_VERSION: overrides.acceptFeedVersion } : {}),
  });
}

export async function liveFeed(store: StateStore, settings: Settings): Promise<FeedSource> {
  return createFeedClient({ baseUrl: settings.feedBaseUrl, clientRequestId: await clientRequestId(store) });
}
