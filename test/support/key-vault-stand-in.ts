/**
 * Key Vault's secret endpoint on 127.0.0.1, with the service's shapes:
 * `GET /secrets/{name}[/{version}]?api-version=7.4` with a bearer token →
 * `{"value","id","attributes":{…},"tags":{}}`; 401 with `WWW-Authenticate`
 * without a token; 403 ForbiddenByRbac for a secret the identity may not
 * read; 404 SecretNotFound.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface KeyVaultStandIn {
  /** `http://127.0.0.1:{port}`; a secret's identifier is `${url}/secrets/{name}`. */
  url: string;
  requests: { path: string; query: Record<string, string>; authorization: string | undefined }[];
  close(): Promise<void>;
}

export async function startKeyVaultStandIn(options: {
  token: string;
  secrets: Record<string, string>;
  forbidden?: string[];
}): Promise<KeyVaultStandIn> {
  const requests: KeyVaultStandIn["requests"] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    requests.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), authorization: req.headers.authorization });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        "content-type": "application/json; charset=utf-8",
        "x-ms-request-id": "5c1e3a7b-0d2f-4e8a-9b6c-1f2e3d4c5b6a",
        ...headers,
      });
      res.end(JSON.stringify(body));
    };
    const match = /^\/secrets\/([0-9A-Za-z-]+)(?:\/([0-9a-f]{32}))?\/?$/.exec(url.pathname);
    if (req.method !== "GET" || !match) return send(400, { error: { code: "BadParameter", message: "The request URI is not valid." } });
    if (url.searchParams.get("api-version") === null) return send(400, { error: { code: "BadParameter", message: "api-version is missing" } });
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return send(
        401,
        { error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } },
        { "www-authenticate": 'Bearer authorization="https://login.microsoftonline.com/72f988bf", resource="https://vault.azure.net"' },
      );
    }
    const name = match[1]!;
    if (options.forbidden?.includes(name)) {
      return send(403, {
        error: {
          code: "Forbidden",
          message: `Caller is not authorized to perform action on resource. Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action' Resource: '/secrets/${name}'`,
          innererror: { code: "ForbiddenByRbac" },
        },
      });
    }
    const value = options.secrets[name];
    if (value === undefined) {
      return send(404, { error: { code: "SecretNotFound", message: `A secret with (name/id) ${name} was not found in this key vault.` } });
    }
    const version = match[2] ?? "3f1c2b7d9e0a4c5b8d6e7f1a2b3c4d5e";
    send(200, {
      value,
      id: `https://kv-contoso.vault.azure.net/secrets/${name}/${version}`,
      attributes: { enabled: true, created: 1764547200, updated: 1764547200, recoveryLevel: "Recoverable+Purgeable", recoverableDays: 90 },
      tags: {},
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
