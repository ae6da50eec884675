import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { inputError } from "../../test/support/failure.js";
import { parseDocument } from "./document.js";
import { holdsPrivateKey, refusePrivateKeys } from "./private-keys.js";

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const der = privateKey.export({ type: "pkcs8", format: "der" });

const refused = (data: unknown) => {
  try {
    refusePrivateKeys(data, "doc.json");
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
};

describe("holdsPrivateKey", () => {
  it("finds key blocks however they are spaced, PGP's too, and base64-encoded whole", () => {
    expect(holdsPrivateKey(pem)).toBe(true);
    expect(holdsPrivateKey(pem.replace("BEGIN PRIVATE", "BEGIN  PRIVATE"))).toBe(true);
    expect(holdsPrivateKey("-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF…")).toBe(true);
    for (const prefix of ["", "x", "xy"]) expect(holdsPrivateKey(Buffer.from(`${prefix}${pem}`).toString("base64")), prefix).toBe(true);
    expect(holdsPrivateKey("-----BEGIN CERTIFICATE-----\nMIIC…")).toBe(false);
    expect(holdsPrivateKey(Buffer.from("-----BEGIN CERTIFICATE-----").toString("base64"))).toBe(false);
  });
});

describe("refusePrivateKeys", () => {
  it("refuses keys under the names exports give them, with any value but null, empty or a boolean", () => {
    expect(refused({ PrivateKeyData: der.toString("base64") })).toMatch(/^doc\.json: PrivateKeyData: carries a private key/);
    expect(refused([{ Identity: "EX01\\A", RemoteIPRanges: [], Key: [...der] }])).toMatch(/^doc\.json: \[0\]\.Key: carries a private key/);
    expect(refused({ [pem]: 1 })).toMatch(/carries a private key/);
    expect(refused({ HasPrivateKey: true, PrivateKeyExportable: false, PrivateKey: null, Pfx: "" })).toBeUndefined();
  });
});

describe("documents carrying keys", () => {
  it("refuses raw receive connector output with a key, as JSON or CLIXML, the member hidden on a list", () => {
    const json = JSON.stringify([{ Identity: "EX01\\A", RemoteIPRanges: ["192.0.2.0/24"], Pfx: [48, 130] }]);
    expect(inputError(() => parseDocument(json, "rc.json")).message).toMatch(/^rc\.json: \[0\]\.Pfx: carries a private key/);
    // A list object keeps no members as JSON: the key must be found while the CLIXML is read.
    const clixml = `<Objs Version="1.1.0.1"><Obj RefId="0"><LST><S>192.0.2.0/24</S></LST><MS><S N="PrivateKey">${der.toString("base64")}</S></MS></Obj></Objs>`;
    expect(inputError(() => parseDocument(clixml, "rc.xml")).message).toMatch(/^rc\.xml: line 1: PrivateKey: carries a private key/);
    const inText = `<Objs Version="1.1.0.1"><S>${pem}</S></Objs>`;
    expect(inputError(() => parseDocument(inText, "k.xml")).message).toMatch(/^k\.xml: line 1: carries a private key/);
  });
});
