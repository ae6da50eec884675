import { z } from "zod";
import { InputError } from "../errors.js";
import { type Instance, parseInstance } from "../feed/instances.js";
import { isCloudTrusted } from "../hybrid/presented.js";
import { RAW_EXPECTED, refuseRawWithoutReceiveConnectors } from "../hybrid/raw-exports.js";
import { isStateDocument, readStateDocument } from "../hybrid/state-document.js";
import { GUID } from "../ids.js";
import { refusePrivateKeys } from "../serialised/private-keys.js";
import { identityOf, isObject, listItems, psDomainCapabilities, psList, psName } from "../serialised/values.js";
import { hasUnsafeCharacters, UNSAFE_CHARACTERS, validate } from "../validation.js";
import { entryTexts, parseAt } from "./entries.js";
import { type Inventory, type TargetMode, targetModeSchema, targetsOf } from "./inventory.js";

export interface ParseInventoryOptions {
  /** The file or "request body", named in every error. */
  source: string;
  /** For raw `Get-ReceiveConnector | ConvertTo-Json` output, which names no tenant. */
  tenant?: string | undefined;
  instance?: string | undefined;
  /** Mode given to raw connectors (default `superset`, which never proposes removals); checked here. */
  mode?: string | undefined;
  /** Connector patterns from the command line or the query string, added to the document's `checkConnectors`. */
  connectors?: readonly string[] | undefined;
  /** How errors name the options: `--tenant` on the command line, `?tenant=` over HTTP. */
  optionName?: (name: "tenant" | "instance" | "mode" | "connector") => string;
}

/** Exchange's limit for a connector's name (the part after `SERVER\`). */
const CONNECTOR_NAME_CHARS = 64;
/** A DNS name's limit; it also keeps every storage key built from a tenant within the stores' limits. */
const TENANT_CHARS = 253;

const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

const tenantName = z
  .string()
  .trim()
  .toLowerCase()
  .max(TENANT_CHARS, { message: `expected a tenant name of at most ${TENANT_CHARS} characters` })
  .refine((t) => DOMAIN.test(t) || GUID.test(t), { message: "expected a tenant domain such as contoso.onmicrosoft.com or a tenant id GUID" });

const displayName = z
  .string()
  .trim()
  .min(1, { message: "expected a non-empty name" })
  .max(512, { message: "expected a name of at most 512 characters" })
  .refine((n) => !hasUnsafeCharacters(n), { message: `must not contain ${UNSAFE_CHARACTERS}` });

/** A receive connector's identity, `SERVER\\Name` or `Name`; Exchange allows 64 characters for the name. */
const connectorIdentity = displayName.refine((n) => n.slice(n.lastIndexOf("\\") + 1).length <= CONNECTOR_NAME_CHARS, {
  message: `expected a connector name of at most ${CONNECTOR_NAME_CHARS} characters after the server`,
});

// Windows PowerShell 5.1 serialises some multi-valued properties as {"value":[…],"Count":n}.
// The items are checked one by one in entryTexts: a schema per item costs more than the parse on 200,000 entries.
const entryList = z.union([z.array(z.unknown()), z.looseObject({ value: z.array(z.unknown()) }).transform((o) => o.value)], {
  message: "expected a list of addresses, CIDRs or ranges",
});

const receiveConnector = z.strictObject({
  identity: connectorIdentity,
  mode: targetModeSchema.default("superset"),
  remoteIPRanges: entryList,
  protected: z.array(z.string()).default([]),
  removable: z.array(z.string()).default([]),
});

const allowlist = z.strictObject({
  name: displayName,
  mode: targetModeSchema.default("superset"),
  entries: entryList,
  protected: z.array(z.string()).default([]),
  removable: z.array(z.string()).default([]),
});

/** A pattern naming receive connectors as Exchange's `-Identity` takes them: text with `*` wildcards. */
const connectorPattern = z
  .string()
  .trim()
  .min(1, { message: "expected a connector name or pattern such as *\\Inbound from Office 365" })
  .max(512, { message: "expected a pattern of at most 512 characters" })
  .refine((n) => !hasUnsafeCharacters(n), { message: `must not contain ${UNSAFE_CHARACTERS}` });

const documented = z.strictObject({
  tenant: tenantName,
  instance: z.string().default("Worldwide"),
  checkConnectors: z.array(connectorPattern).default([]),
  receiveConnectors: z.array(z.unknown()).default([]),
  allowlists: z.array(allowlist).default([]),
});

/**
 * A receive connector exactly as `Get-ReceiveConnector` serialises it (CLIXML
 * or ConvertTo-Json at any depth): beyond the depth, RemoteIPRanges is the
 * ranges' text joined by spaces, and Identity the text `SERVER\Name`.
 */
const rawReceiveConnector = z.looseObject({
  Identity: psName.optional(),
  Name: psName.optional(),
  Server: psName.optional(),
  RemoteIPRanges: z.preprocess((v) => listItems(v, { joined: true }), z.array(z.unknown())),
  TlsDomainCapabilities: psList(psDomainCapabilities).default([]),
});

/**
 * Reads an inventory: the documented JSON shape (whose receive connectors may
 * also be raw Exchange objects), or raw `Get-ReceiveConnector | ConvertTo-Json`
 * output for one tenant. Every entry is parsed, so a bad one is reported here
 * with its file and position, never later in a run.
 */
export function parseInventory(data: unknown, options: ParseInventoryOptions): Inventory {
  refusePrivateKeys(data, options.source);
  if (isStateDocument(data)) return parseStateDocument(data, options);
  refuseRawWithoutReceiveConnectors(data, options.source);
  return parseTargets(data, options);
}

/**
 * A state document: its hybrid state read and normalised, its receive
 * connectors' RemoteIPRanges and its allowlists read as an inventory's. It
 * may carry no targets at all (a document for the certificate and connector
 * checks alone).
 */
function parseStateDocument(data: unknown, options: ParseInventoryOptions): Inventory {
  const { hybrid, receiveConnectors, allowlists } = readStateDocument(data, options.source);
  const doc = data as { tenant?: unknown; instance?: unknown; checkConnectors?: unknown };
  const targets = { tenant: doc.tenant, instance: doc.instance, checkConnectors: doc.checkConnectors, receiveConnectors, allowlists };
  const inventory = parseTargets(Object.fromEntries(Object.entries(targets).filter(([, v]) => v !== undefined)), options, {
    allowEmpty: true,
    paths: { receiveConnectors: "onPremises.receiveConnectors" },
  });
  const connectors = hybrid.onPremises?.receiveConnectors?.map((c, i) => ({
    ...c,
    remoteIPRanges: inventory.receiveConnectors[i]?.remoteIPRanges ?? [],
  }));
  const onPremises = hybrid.onPremises && { ...hybrid.onPremises, ...(connectors ? { receiveConnectors: connectors } : {}) };
  return { ...inventory, hybrid: { ...hybrid, onPremises } };
}

function parseTargets(
  data: unknown,
  options: ParseInventoryOptions,
  state: { allowEmpty: boolean; paths: { receiveConnectors: string } } = { allowEmpty: false, paths: { receiveConnectors: "receiveConnectors" } },
): Inventory {
  const { source } = options;
  const option = options.optionName ?? ((name) => `--${name} / ?${name}=`);
  const rawMode: TargetMode = options.mode === undefined ? "superset" : validate(targetModeSchema, options.mode, option("mode"));
  const modeFrom = options.mode === undefined ? ("default" as const) : ("option" as const);
  const connectors = (options.connectors ?? []).map((p) => validate(connectorPattern, p, option("connector")));
  if (Array.isArray(data) && data.length === 0) throw new InputError("holds no objects (the export is empty)", { source });
  const raw = rawConnectorList(data);
  // Neither an inventory's nor raw output's shape: say what the file should be, not which field of an inventory it lacks.
  if (!raw && !(isObject(data) && ["tenant", "receiveConnectors", "allowlists", "checkConnectors"].some((key) => key in data))) {
    throw new InputError(`is not an inventory ("tenant" and its targets), a state document ("collectedAt") or raw cmdlet output: ${RAW_EXPECTED}`, {
      source,
    });
  }
  let inventory: Inventory;
  if (raw) {
    if (options.tenant === undefined) {
      throw new InputError(`is raw Get-ReceiveConnector output, which names no tenant: give the tenant (${option("tenant")})`, { source });
    }
    inventory = {
      tenant: validate(tenantName, options.tenant, option("tenant")),
      instance: parseInstanceAt(options.instance ?? "Worldwide", source, "instance"),
      checkConnectors: connectors,
      receiveConnectors: raw.map((item, i) => fromRawConnector(item, rawMode, modeFrom, source, `[${i}]`)),
      allowlists: [],
    };
  } else {
    const doc = validate(documented, data, source);
    // An option that contradicts the document, or that it makes pointless, is a mistake to point out, not to ignore.
    const given = { tenant: options.tenant, instance: options.instance };
    for (const [name, value] of Object.entries(given) as ["tenant" | "instance", string | undefined][]) {
      if (value !== undefined && value.trim().toLowerCase() !== doc[name].toLowerCase()) {
        throw new InputError(`names ${name} ${JSON.stringify(doc[name])}, but ${option(name)} says ${JSON.stringify(value)}; give one or the other`, {
          source,
        });
      }
    }
    if (options.mode !== undefined && !doc.receiveConnectors.some(isRawConnector)) {
      throw new InputError(`${option("mode")} applies to raw Get-ReceiveConnector output; this inventory gives each target its own mode`, { source });
    }
    inventory = {
      tenant: doc.tenant,
      instance: parseInstanceAt(doc.instance, source, "instance"),
      checkConnectors: [...new Set([...doc.checkConnectors, ...connectors])],
      receiveConnectors: doc.receiveConnectors.map((item, i) => {
        const path = `${state.paths.receiveConnectors}[${i}]`;
        if (isRawConnector(item)) return fromRawConnector(item, rawMode, modeFrom, source, path);
        const c = validateAt(receiveConnector, item, source, path);
        return {
          ...c,
          remoteIPRanges: entryTexts(c.remoteIPRanges, source, `${path}.remoteIPRanges`),
          trustedForCloudMail: false,
          modeFrom: "document" as const,
        };
      }),
      allowlists: doc.allowlists.map((a, i) => ({ ...a, entries: entryTexts(a.entries, source, `allowlists[${i}].entries`) })),
    };
  }
  if (!state.allowEmpty && inventory.receiveConnectors.length + inventory.allowlists.length === 0) {
    throw new InputError("lists no receive connectors and no allowlists: there is nothing to check", { source });
  }
  checkTargets(inventory, source);
  return inventory;
}

function rawConnectorList(data: unknown): unknown[] | undefined {
  if (Array.isArray(data)) return data.length > 0 && data.every(isRawConnector) ? data : undefined;
  if (isRawConnector(data)) return [data];
  if (isObject(data) && Array.isArray(data.value) && !("tenant" in data)) return rawConnectorList(data.value);
  return undefined;
}

function isRawConnector(value: unknown): value is Record<string, unknown> {
  return isObject(value) && "RemoteIPRanges" in value;
}

function fromRawConnector(item: unknown, targetMode: TargetMode, modeFrom: "option" | "default", source: string, path: string) {
  const c = validateAt(rawReceiveConnector, item, source, path);
  const identity = identityOf(c);
  if (identity === undefined) throw new InputError("has no Identity or Name", { source, path });
  return {
    identity: validateAt(connectorIdentity, identity, source, `${path}.Identity`),
    mode: targetMode,
    remoteIPRanges: entryTexts(c.RemoteIPRanges, source, `${path}.RemoteIPRanges`),
    protected: [],
    removable: [],
    trustedForCloudMail: isCloudTrusted({ tlsDomainCapabilities: c.TlsDomainCapabilities }),
    modeFrom,
  };
}

function checkTargets(inventory: Inventory, source: string): void {
  const seen = new Map<string, string>();
  for (const target of targetsOf(inventory)) {
    const owner = target.path.replace(/\.[^.]+$/, "");
    const key = `${target.kind}\u0000${target.name.toLowerCase()}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) throw new InputError(`repeats the name ${JSON.stringify(target.name)} of ${earlier}`, { source, path: owner });
    seen.set(key, owner);
    for (const [i, text] of target.protected.entries()) parseAt(text, { source, path: `${owner}.protected[${i}]` });
    for (const [i, text] of target.removable.entries()) parseAt(text, { source, path: `${owner}.removable[${i}]` });
  }
}

function validateAt<S extends z.ZodType>(schema: S, value: unknown, source: string, path: string): z.output<S> {
  try {
    return validate(schema, value, source);
  } catch (error) {
    if (error instanceof InputError) throw error.at({ path });
    throw error;
  }
}

function parseInstanceAt(text: string, source: string, path: string): Instance {
  try {
    return parseInstance(text);
  } catch (error) {
    if (error instanceof InputError) throw error.at({ source, path });
    throw error;
  }
}
