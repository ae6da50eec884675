/**
 * vitest globalSetup: one in-memory Azurite (Blob, Queue and Table) for the
 * whole run, on free ports so parallel runs on one machine do not collide.
 * Tests get its connection string with `inject("azuriteConnectionString")`
 * (`azuriteTableConnectionString` is the same string, for older tests).
 */
import type { TestProject } from "vitest/node";
import { startAzurite } from "./azurite-process.js";

declare module "vitest" {
  export interface ProvidedContext {
    azuriteConnectionString: string;
    /** The same string, under the name the Table-only tests were written with. */
    azuriteTableConnectionString: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const azurite = await startAzurite("single");
  project.provide("azuriteConnectionString", azurite.connectionString);
  project.provide("azuriteTableConnectionString", azurite.connectionString);
  return () => azurite.stop();
}
