/**
 * Section 5 of `npm run bench`: a large organisation's Get-ReceiveConnector
 * export read as Export-Clixml wrote it, against the same objects as JSON
 * (what ConvertTo-Json would give; JSON.parse is the obvious alternative to
 * a reader of our own), each then read as the raw inventory `check` takes.
 * The CLIXML is Microsoft's capture of five connectors, repeated with its
 * reference ids moved, so that the text is the real format at a size
 * providers meet.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseInventory } from "../src/inventory/parse.js";
import { parseDocument } from "../src/serialised/document.js";

const COPIES = 80;

function organisation(root: string): string {
  const capture = readFileSync(join(root, "test/fixtures/exchange-clixml/E19-GetReceiveConnector.xml"), "utf8");
  const body = capture.replace(/^\uFEFF?<Objs[^>]*>/, "").replace(/<\/Objs>\s*$/, "");
  const copies = Array.from({ length: COPIES }, (_, i) =>
    body
      .replace(/RefId="(\d+)"/g, (_, id: string) => `RefId="${Number(id) + i * 1000}"`)
      .replace(/WIN-CTD3L0RGEN4/g, `EX${String(i + 1).padStart(2, "0")}`),
  );
  return `\uFEFF<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">${copies.join("")}</Objs>`;
}

export function exchangeExportsSection(root: string, measure: <T>(work: () => T) => { ms: number; result: T }, fmt: (ms: number) => string): void {
  const clixml = organisation(root);
  const json = JSON.stringify(parseDocument(clixml, "bench.xml"));
  const read = (text: string) => parseInventory(parseDocument(text, "bench"), { source: "bench", tenant: "contoso.onmicrosoft.com" });
  const mb = (text: string) => `${(Buffer.byteLength(text) / 1024 / 1024).toFixed(1)} MB`;
  const before = process.memoryUsage().heapUsed;
  const ours = measure(() => read(clixml));
  const heap = process.memoryUsage().heapUsed - before;
  const theirs = measure(() => read(json));
  const connectors = ours.result.receiveConnectors.length;
  const agree = JSON.stringify(ours.result) === JSON.stringify(theirs.result) ? "same inventory" : "INVENTORIES DIFFER";
  console.log(`\nExchange exports: Get-ReceiveConnector of ${connectors} connectors (${COPIES} servers), read as the raw inventory check takes`);
  console.log(`  Export-Clixml (${mb(clixml)})       ${fmt(ours.ms)}   ${(ours.ms / theirs.ms).toFixed(1)}× the JSON   ${agree}`);
  console.log(`  the same as JSON (${mb(json)})     ${fmt(theirs.ms)}   JSON.parse`);
  console.log(`  heap after the CLIXML runs: ${(heap / 1024 / 1024).toFixed(0)} MiB more than before`);
}
