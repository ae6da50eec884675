/**
 * Microsoft's Export-Clixml captures of an Exchange 2019 lab
 * (test/fixtures/exchange-clixml, see its SOURCES.md), and the check of a
 * set of them as one state document, the way the command line checks
 * several cmdlets' exports.
 */
import { X509Certificate } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { evaluate } from "../../src/check/evaluate.js";
import { assembleStateDocument, type RawExport } from "../../src/hybrid/raw-exports.js";
import { parseInventory } from "../../src/inventory/parse.js";
import { bytesOf, type PsObject, type PsValue } from "../../src/serialised/clixml.js";
import { EOP_WORLDWIDE } from "./feed.js";
import { observations } from "./observations.js";

export const CAPTURES = join(import.meta.dirname, "../fixtures/exchange-clixml");
export const CAPTURE_FILES = readdirSync(CAPTURES).filter((f) => f.endsWith(".xml"));
/** When the lab was captured (its objects last changed in March 2022): its certificates were current then. */
export const CAPTURED = new Date("2022-04-01T00:00:00Z");
export const TENANT = "contoso.onmicrosoft.com";

export function captureText(file: string): string {
  return readFileSync(join(CAPTURES, file), "utf8");
}

/** The sets of captures that belong together, as one organisation's exports. */
export const CAPTURE_SETS: Readonly<Record<string, readonly string[]>> = {
  EI: ["EI-GetReceiveConnector.xml", "EI-GetSendConnector.xml", "EI-GetExchangeCertificate.xml"],
  "EI incomplete": ["EI-GetReceiveConnector.xml", "EI-GetSendConnector.xml", "EI-GetExchangeCertificateIncomplete.xml"],
  "EI multiple matches": ["EI-GetReceiveConnector.xml", "EI-GetSendConnector.xml", "EI-GetExchangeCertificateMultipleMatches.xml"],
  "EI empty name": ["EI-GetReceiveConnectorEmptyTlsCertificateName.xml", "EI-GetSendConnector.xml", "EI-GetExchangeCertificate.xml"],
  "EI relay to M365": ["EI-GetSendConnectorConfiguredToRelayToM365.xml", "EI-GetExchangeCertificate.xml"],
  E19: [
    "E19-GetReceiveConnector.xml",
    "E19-GetSendConnector.xml",
    "E19-GetExchangeCertificate.xml",
    "E19-GetHybridConfiguration.xml",
    "E19-GetAcceptedDomain.xml",
  ],
  "E19 bad accepted domain": ["E19-GetAcceptedDomain_Bad.xml"],
};

/** Raw exports as one state document, checked as the command line checks it, at the time of the capture. */
export function checkExports(exports: readonly RawExport[], at = CAPTURED) {
  const document = assembleStateDocument(exports, { tenant: TENANT });
  const inventory = parseInventory(document, { source: exports.map((e) => e.source).join(", ") });
  const o = { ...observations(inventory, { eopRanges: EOP_WORLDWIDE }), at, hybrid: inventory.hybrid };
  const { check } = evaluate(o);
  return { findings: check.findings, notChecked: check.report.evidence.hybrid?.notChecked ?? [], inventory };
}

const LIVE_CERTIFICATE = "System.Security.Cryptography.X509Certificates.X509Certificate2";

/**
 * A certificate as the shell holds it after a remote session or
 * Import-Clixml: PowerShell rehydrates every object whose type names include
 * X509Certificate2 into a live certificate (serialization.cs,
 * DeserializingTypeConverter), so ConvertTo-Json writes the live object's
 * properties, read here from its DER, and the remoting notes beside them. A
 * live certificate's Handle is a process pointer; any number stands for it.
 * The type name is changed so that the converter writes it as it is.
 */
export function liveCertificate(value: PsValue): PsValue {
  if (value.kind !== "object" || !value.typeNames.includes(LIVE_CERTIFICATE)) return value;
  const raw = value.properties.find((p) => p.name === "RawData")?.value;
  if (raw?.kind !== "bytes") return value;
  const x509 = new X509Certificate(bytesOf(raw));
  const text = (v: string) => ({ kind: "string" as const, value: v });
  const date = (v: string) => ({ kind: "date" as const, value: new Date(v).toISOString().replace(".000Z", "Z") });
  const name = (v: string | undefined) => (v ?? "").split("\n").reverse().join(", ");
  const live: PsObject = {
    kind: "object",
    typeNames: ["Live.X509Certificate2 (as ConvertTo-Json writes one)"],
    toString: undefined,
    base: undefined,
    properties: [
      ...value.properties.filter((p) => p.extended && p.name !== "SerializationData"),
      ...[
        ["Archived", { kind: "bool" as const, value: false }],
        ["FriendlyName", text("")],
        ["HasPrivateKey", { kind: "bool" as const, value: false }],
        ["PrivateKey", { kind: "nil" as const }],
        ["NotAfter", date(x509.validTo)],
        ["NotBefore", date(x509.validFrom)],
        ["RawData", raw],
        ["SerialNumber", text(x509.serialNumber)],
        ["Thumbprint", text(x509.fingerprint.replaceAll(":", ""))],
        ["Version", { kind: "number" as const, value: 3, tag: "I32" }],
        ["Handle", { kind: "number" as const, value: 2_199_023_255_552, tag: "I64" }],
        ["Issuer", text(name(x509.issuer))],
        ["Subject", text(name(x509.subject))],
      ].map(([n, v]) => ({ name: n as string, value: v as PsValue, extended: false })),
    ],
  };
  return live;
}
