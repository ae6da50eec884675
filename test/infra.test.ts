/**
 * The deployment (infra/) against the code: infra/app/api.bicep sets exactly the app settings the app and its
 * functions read, besides a short list the platform reads; the storage it creates is what the code names; and the
 * security properties hold. No Bicep compiler runs here, so the files are read as text, and the block the settings
 * are read from is held to one simple shape (one `NAME: value` per line) rather than parsed loosely.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { DRIFT_CHECK_QUEUE } from "../src/handlers/bindings.js";
import { handlerDepsFromEnv } from "../src/handlers/runtime.js";
import { CONTAINER_NAME } from "../src/state/open.js";
import { DEFAULT_TABLE_NAME } from "../src/state/storage-setting.js";

/**
 * Set by the deployment for the platform, although the app's code does not read them. Not FUNCTIONS_WORKER_RUNTIME
 * or FUNCTIONS_EXTENSION_VERSION: Flex Consumption takes the runtime from functionAppConfig and refuses them.
 */
const PLATFORM_SETTINGS: Record<string, string> = {
  AzureWebJobsStorage__credential: "the host's storage connection is identity-based (the app's own client needs only __clientId)",
  AzureWebJobsStorage__blobServiceUri: "the host keeps its keys, timer schedules and locks in blobs",
  AzureWebJobsStorage__queueServiceUri: "the drift-check queue's trigger and output binding use the AzureWebJobsStorage connection",
  AZURE_CLIENT_ID: "DefaultAzureCredential, with which mail alerts sign in to Graph, finds the user-assigned identity by it",
  APPLICATIONINSIGHTS_CONNECTION_STRING: "where the host sends telemetry",
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "the host signs in to Application Insights with the identity, local auth being off",
};

/** Read by the code but left unset by the deployment, which sets an alternative instead. */
const NOT_DEPLOYED: Record<string, string> = {
  AzureWebJobsStorage: "a connection string carries the account key, and shared keys are off; the AzureWebJobsStorage__* settings are set",
  AzureWebJobsStorage__accountName: "names the account when the service URLs are missing, and those are set",
  MAILFLOW_GUARD_EXO_CERTIFICATE_PATH: "a PEM file for local runs; in Azure the certificate comes from Key Vault as MAILFLOW_GUARD_EXO_CERTIFICATE",
};

/** The built-in roles the app's identity needs, by the names infra/app/rbac.bicep gives them. */
const APP_ROLES: Record<string, string> = {
  storageBlobDataOwner: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
  storageQueueDataContributor: "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
  storageTableDataContributor: "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
  monitoringMetricsPublisher: "3913510d-42f4-4e42-8a64-420c390055eb",
  keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
};

/** What the function files register with the host; `app.*` is replaced so that importing them records instead. */
const registrations = vi.hoisted(() => [] as { method: string; args: unknown[] }[]);
vi.mock("@azure/functions", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@azure/functions")>()),
  app: new Proxy(
    {},
    {
      get:
        (_target, method) =>
        (...args: unknown[]) =>
          registrations.push({ method: String(method), args }),
    },
  ),
}));

const root = fileURLToPath(new URL("../", import.meta.url));
const functionsDir = join(root, "functions");

function bicepFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return bicepFiles(path);
    return entry.name.endsWith(".bicep") ? [path] : [];
  });
}

const bicep = new Map(bicepFiles(join(root, "infra")).map((path) => [relative(root, path), readFileSync(path, "utf8")]));
const allBicep = [...bicep.values()].join("\n");

function bicepText(path: string): string {
  const text = bicep.get(path);
  if (text === undefined) throw new Error(`${path} is missing`);
  return text;
}

/** The `var appSettings = {…}` block of the function app module: each setting's name and its value's text. */
function appSettingsOf(text: string): Map<string, string> {
  const block = /^var appSettings = \{\n([\s\S]*?)\n\}$/m.exec(text)?.[1];
  if (block === undefined) throw new Error("infra/app/api.bicep: no `var appSettings = {` … `}` block");
  const settings = new Map<string, string>();
  for (const line of block.split("\n")) {
    if (/^\s*(\/\/.*)?$/.test(line)) continue;
    const setting = /^ {2}'?([A-Za-z_]\w*)'?: (\S.*)$/.exec(line);
    if (!setting) throw new Error(`infra/app/api.bicep: appSettings holds one \`NAME: value\` per line, not ${JSON.stringify(line.trim())}`);
    if (settings.has(setting[1]!)) throw new Error(`infra/app/api.bicep: ${setting[1]} is set twice`);
    settings.set(setting[1]!, setting[2]!);
  }
  return settings;
}

/** The bodies (braces included) of the resources of a type that the files declare; `existing` references are left out. */
function declared(type: string): { file: string; name: string; body: string }[] {
  const start = new RegExp(
    `^resource (\\w+) '${type.replace(/[./]/g, "\\$&")}@[\\w-]+'( existing)? = (?:if \\(.*\\) )?(?:\\[\\s*for .*: )?\\{`,
    "gm",
  );
  const found: { file: string; name: string; body: string }[] = [];
  for (const [file, text] of bicep) {
    for (const match of text.matchAll(start)) {
      if (match[2]) continue;
      const open = match.index + match[0].length - 1;
      let depth = 0;
      let end = open;
      for (; end < text.length; end++) {
        if (text[end] === "{") depth++;
        if (text[end] === "}" && --depth === 0) break;
      }
      found.push({ file, name: match[1]!, body: text.slice(open, end + 1) });
    }
  }
  return found;
}

/** The settings the app reads as it starts, from an environment that has none, so that it reads every one it looks for. */
async function settingsReadAtStart(): Promise<Set<string>> {
  const names = new Set<string>();
  const env = new Proxy({} as NodeJS.ProcessEnv, {
    get: (_target, name) => {
      if (typeof name === "string") names.add(name);
      return undefined;
    },
  });
  // Without storage settings the app refuses to start; what it read before that is what counts.
  await handlerDepsFromEnv(env).catch(() => undefined);
  return names;
}

/** Every string in the registrations' options (handlers left out), with the key it is under. */
function* stringsOf(value: unknown, key = ""): Generator<{ key: string; value: string }> {
  if (typeof value === "string") yield { key, value };
  else if (Array.isArray(value)) for (const item of value) yield* stringsOf(item, key);
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) yield* stringsOf(v, k);
}

const apiBicep = bicepText("infra/app/api.bicep");
const deployed = appSettingsOf(apiBicep);
let read = new Set<string>();
let connections = new Set<string>();

beforeAll(async () => {
  for (const name of readdirSync(functionsDir).filter((n) => n.endsWith(".ts") && !n.endsWith(".test.ts"))) {
    await import(pathToFileURL(join(functionsDir, name)).href);
  }
  const strings = registrations.flatMap((r) => [...stringsOf(r.args)]);
  // %NAME% in a binding is the app setting NAME (the timers' schedules).
  const expressions = strings.flatMap((s) => [...s.value.matchAll(/%(\w+)%/g)].map((m) => m[1]!));
  read = new Set([...(await settingsReadAtStart()), ...expressions]);
  connections = new Set(strings.filter((s) => s.key === "connection").map((s) => s.value));
});

describe("the app settings of infra/app/api.bicep", () => {
  it("are those the code reads, besides the platform's", () => {
    // The derivations must see the app, or the comparison would pass for want of anything to compare.
    expect(registrations.map((r) => r.method)).toEqual(expect.arrayContaining(["timer", "storageQueue", "http"]));
    expect([...read]).toEqual(expect.arrayContaining(["M365_ENDPOINTS_BASE_URL", "AzureWebJobsStorage__tableServiceUri", "DRIFT_CHECK_SCHEDULE"]));

    const wanted = new Set([...[...read].filter((name) => !(name in NOT_DEPLOYED)), ...Object.keys(PLATFORM_SETTINGS)]);
    const missing = [...wanted].filter((name) => !deployed.has(name)).sort();
    const extra = [...deployed.keys()].filter((name) => !wanted.has(name)).sort();
    expect(missing, "read by the code (or listed in PLATFORM_SETTINGS) but not set in infra/app/api.bicep").toEqual([]);
    expect(extra, "set in infra/app/api.bicep but read by neither the code nor the platform (PLATFORM_SETTINGS)").toEqual([]);
  });

  it("leave out only settings the code reads and that have an alternative the deployment sets", () => {
    for (const name of Object.keys(NOT_DEPLOYED)) {
      expect(read, `${name} is in NOT_DEPLOYED but the code no longer reads it`).toContain(name);
      expect(deployed.has(name), `${name} is in NOT_DEPLOYED but infra/app/api.bicep sets it`).toBe(false);
    }
  });

  it("are the function app's whole set, given in one piece", () => {
    expect(allBicep.match(/name: 'appsettings'/g)).toHaveLength(1);
    expect(apiBicep).toMatch(/^ {2}parent: functionApp\n {2}name: 'appsettings'\n {2}properties: appSettings\n\}$/m);
    // No second source of settings: siteConfig.appSettings, appSettingsKeyValuePairs, or a union() merged in.
    expect(allBicep).not.toMatch(/appSettings\s*:|appSettingsKeyValuePairs|union\(\s*appSettings/);
  });

  it("reach storage with the user-assigned identity", () => {
    expect(deployed.get("AzureWebJobsStorage__credential")).toBe("'managedidentity'");
    for (const service of ["blob", "queue", "table"]) {
      expect(deployed.get(`AzureWebJobsStorage__${service}ServiceUri`)).toBe(`storage.properties.primaryEndpoints.${service}`);
    }
    expect(deployed.get("AzureWebJobsStorage__clientId")).toBe("identityClientId");
    // Every connection a binding names is configured the same way.
    expect([...connections]).toEqual(["AzureWebJobsStorage"]);
  });

  it("send telemetry with an Entra token and read the Exchange Online certificate from Key Vault", () => {
    expect(deployed.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING")).toMatch(/^'ClientId=\$\{identityClientId\};Authorization=AAD'$/);
    expect(deployed.get("MAILFLOW_GUARD_EXO_CERTIFICATE")).toMatch(/\bexoCertificateReference\b/);
    expect(apiBicep).toMatch(/^var exoCertificateReference = '@Microsoft\.KeyVault\(SecretUri=\$\{vault\.properties\.vaultUri\}secrets\/.*\)'$/m);
  });
});

describe("the storage infra/ creates", () => {
  const storageBicep = bicepText("infra/core/storage/storage-account.bicep");

  it("holds the drift-check queue and its poison queue", () => {
    expect(storageBicep).toContain(`'${DRIFT_CHECK_QUEUE}'`);
    expect(storageBicep).toContain(`'${DRIFT_CHECK_QUEUE}-poison'`);
  });

  it("holds the container of reports and large inventories", () => {
    expect(storageBicep).toContain(`'${CONTAINER_NAME}'`);
  });

  it("holds the state table, by default the code's", () => {
    expect(/^param stateTableName string = '([^']*)'$/m.exec(bicepText("infra/main.bicep"))?.[1]).toBe(DEFAULT_TABLE_NAME);
    expect(deployed.get("MAILFLOW_GUARD_TABLE")).toBe("stateTableName");
    expect(storageBicep).toMatch(/^ {2}name: stateTableName$/m);
  });

  it("is reached with Entra identities only, over TLS 1.2, with no public blobs", () => {
    const accounts = declared("Microsoft.Storage/storageAccounts");
    expect(accounts.map((a) => a.file)).toEqual(["infra/core/storage/storage-account.bicep"]);
    for (const { body } of accounts) {
      expect(body).toMatch(/^ {4}allowSharedKeyAccess: false$/m);
      expect(body).toMatch(/^ {4}minimumTlsVersion: 'TLS1_2'$/m);
      expect(body).toMatch(/^ {4}allowBlobPublicAccess: false$/m);
    }
    for (const { body } of declared("Microsoft.Storage/storageAccounts/blobServices/containers")) expect(body).toContain("publicAccess: 'None'");
  });
});

describe("the security of infra/", () => {
  it("turns local auth off on Application Insights", () => {
    const components = declared("Microsoft.Insights/components");
    expect(components).toHaveLength(1);
    for (const { body } of components) expect(body).toMatch(/^ {4}DisableLocalAuth: true$/m);
  });

  it("authorises Key Vault access with RBAC, and resolves references with the app's identity", () => {
    const vaults = declared("Microsoft.KeyVault/vaults");
    expect(vaults).toHaveLength(1);
    for (const { body } of vaults) expect(body).toMatch(/^ {4}enableRbacAuthorization: true$/m);
    expect(allBicep).not.toMatch(/accessPolicies/);
  });

  it("names every role assignment with guid()", () => {
    const assignments = declared("Microsoft.Authorization/roleAssignments");
    expect(assignments.length).toBeGreaterThanOrEqual(Object.keys(APP_ROLES).length);
    for (const { file, name, body } of assignments) expect(body, `${file}: ${name}`).toMatch(/^ {2}name: guid\(/m);
  });

  it("gives the app's identity each role it needs", () => {
    const rbac = bicepText("infra/app/rbac.bicep");
    const roles = /^var roles = \{\n([\s\S]*?)\n\}$/m.exec(rbac)?.[1] ?? "";
    const assignments = declared("Microsoft.Authorization/roleAssignments").filter((a) => a.body.includes("principalId: appPrincipalId"));
    for (const [role, id] of Object.entries(APP_ROLES)) {
      expect(roles, role).toMatch(new RegExp(`^ {2}${role}: '${id}'$`, "m"));
      expect(
        assignments.some((a) => a.body.includes(`roles.${role})`)),
        `no role assignment gives the app's identity ${role}`,
      ).toBe(true);
    }
  });

  it("runs the app on Flex Consumption, Node 22, with the user-assigned identity and HTTPS only", () => {
    const sites = declared("Microsoft.Web/sites");
    expect(sites).toHaveLength(1);
    const site = sites[0]!.body;
    expect(site).toContain("kind: 'functionapp,linux'");
    expect(site).toMatch(/runtime: \{\s*name: 'node'\s*version: '22'\s*\}/);
    expect(site).toMatch(/type: 'UserAssigned'\n/);
    expect(site).toMatch(/authentication: \{\s*type: 'UserAssignedIdentity'\s*userAssignedIdentityResourceId: identityId\s*\}/);
    expect(site).toContain("keyVaultReferenceIdentity: identityId");
    expect(site).toContain("httpsOnly: true");
    expect(declared("Microsoft.Web/serverfarms").map((p) => p.body)).toEqual([expect.stringMatching(/name: 'FC1'\s*tier: 'FlexConsumption'/)]);
  });
});

describe("azd", () => {
  it("deploys the service azure.yaml names to the app tagged with it", () => {
    const azureYaml = readFileSync(join(root, "azure.yaml"), "utf8");
    const service = /^services:\n {2}([\w-]+):\n((?: {4}.*\n)+)/m.exec(azureYaml);
    expect(service?.[2]).toMatch(/^ {4}project: \.$/m);
    expect(service?.[2]).toMatch(/^ {4}language: ts$/m);
    expect(service?.[2]).toMatch(/^ {4}host: function$/m);
    expect(declared("Microsoft.Web/sites")[0]?.body).toContain(`'azd-service-name': '${service?.[1]}'`);
  });

  it("gives main.bicep every parameter without a default, and none it lacks", () => {
    const main = bicepText("infra/main.bicep");
    const params = [...main.matchAll(/^param (\w+) \w+( = .*)?$/gm)];
    const given = Object.keys(
      (JSON.parse(readFileSync(join(root, "infra/main.parameters.json"), "utf8")) as { parameters: Record<string, unknown> }).parameters,
    );
    expect(given.filter((name) => !params.some((p) => p[1] === name))).toEqual([]);
    expect(params.filter((p) => p[2] === undefined).map((p) => p[1])).toEqual(expect.arrayContaining(["environmentName", "location"]));
    expect(params.filter((p) => p[2] === undefined && !given.includes(p[1]!)).map((p) => p[1])).toEqual([]);
  });
});
