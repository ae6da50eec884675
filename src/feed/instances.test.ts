import { describe, expect, it } from "vitest";
import { InputError } from "../errors.js";
import { INSTANCES, parseInstance } from "./instances.js";

describe("parseInstance", () => {
  it("reads every instance in any case and returns the canonical name", () => {
    for (const name of INSTANCES) {
      expect(parseInstance(name)).toBe(name);
      expect(parseInstance(name.toLowerCase())).toBe(name);
      expect(parseInstance(name.toUpperCase())).toBe(name);
    }
    expect(parseInstance(" usgovgcchigh ")).toBe("USGovGCCHigh");
  });

  it("refuses Germany as retired", () => {
    expect(() => parseInstance("germany")).toThrow(InputError);
    expect(() => parseInstance("Germany")).toThrow(/"Germany" is retired/);
  });

  it("lists the valid names for anything else", () => {
    expect(() => parseInstance("GCC")).toThrow('"GCC" is not an instance; expected one of Worldwide, USGovDoD, USGovGCCHigh, China');
    expect(() => parseInstance("")).toThrow(InputError);
  });
});
