/**
 * Microsoft's captures (test/support/exchange-captures.ts) as an admin's
 * `… | ConvertTo-Json -Depth N` writes them in Windows PowerShell 5.1 and in
 * PowerShell 7 (test/support/convert-to-json.ts follows both cmdlets' code),
 * at every depth from 2 to 10: each is accepted, and the check finds exactly
 * what it finds on the CLIXML itself.
 */
import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/core/finding.js";
import { parseCliXml } from "../../src/serialised/clixml.js";
import { parseDocument } from "../../src/serialised/document.js";
import { convertToJson, type PowerShellFlavour } from "./convert-to-json.js";
import { CAPTURE_SETS, CAPTURED, captureText, checkExports, liveCertificate } from "./exchange-captures.js";

const DEPTHS = [2, 3, 4, 5, 6, 7, 8, 9, 10];

const seen = (findings: readonly Finding[]) =>
  findings.map((f) => ({ rule: f.rule, severity: f.severity, subject: f.subject, digest: f.digest, summary: f.summary }));

function fromCliXml(files: readonly string[]) {
  return checkExports(files.map((file) => ({ source: file, data: parseDocument(captureText(file), file), modifiedAt: CAPTURED })));
}

/** Each file converted once per flavour and depth: the sets share files. */
const converted = new Map<string, unknown>();

function fromJson(files: readonly string[], flavour: PowerShellFlavour, depth: number) {
  const exports = files.map((file) => {
    const key = `${file}|${flavour}|${depth}`;
    if (!converted.has(key)) {
      const values = parseCliXml(captureText(file), file).map(liveCertificate);
      // The converting machine in the lab's own time zone (UTC-5), where remote sessions give local times.
      converted.set(key, parseDocument(convertToJson(values, { flavour, depth, utcOffsetMinutes: -300 }), file));
    }
    return { source: `${file} (ConvertTo-Json, PowerShell ${flavour}, -Depth ${depth})`, data: converted.get(key), modifiedAt: CAPTURED };
  });
  return checkExports(exports);
}

/**
 * The sets converted by ConvertTo-Json in one flavour at -Depth 2 to 10, each
 * found to give what its CLIXML gives; one test file per flavour, so that
 * they run side by side.
 */
export function convertedCapturesSuite(flavour: PowerShellFlavour): void {
  describe(`the captures converted by ConvertTo-Json in PowerShell ${flavour}`, () => {
    it.each(Object.entries(CAPTURE_SETS))("finds in the %s set what it finds in the CLIXML, at -Depth 2 to 10", (_name, files) => {
      const expected = fromCliXml(files);
      for (const depth of DEPTHS) {
        const got = fromJson(files, flavour, depth);
        expect(seen(got.findings), `-Depth ${depth}`).toEqual(seen(expected.findings));
        expect(got.notChecked, `-Depth ${depth}`).toEqual(expected.notChecked);
      }
    });
  });
}
