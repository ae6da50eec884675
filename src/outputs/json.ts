import type { Output } from "../core/check.js";

/** report.json: the whole report, every range of every finding included. */
export const jsonReport: Output = {
  file: "report.json",
  description: "the same for machines",
  render: ({ report }) => `${JSON.stringify(report, null, 2)}\n`,
};
