import { describe, expect, it } from "vitest";
import { readDate } from "./dates.js";

describe("readDate", () => {
  const iso = (text: string) => readDate(text).toISOString();

  it("reads 5.1's /Date(ms)/, ISO 8601 with or without offset, and the 5.1 DateTime wrapper", () => {
    expect(iso("/Date(1628265374000)/")).toBe("2021-08-06T15:56:14.000Z");
    expect(iso("2021-08-06T15:56:14-05:00")).toBe("2021-08-06T20:56:14.000Z");
    expect(iso("2021-08-06T15:56:14.1234567+02:00")).toBe("2021-08-06T13:56:14.123Z");
    expect(iso("2021-08-06T15:56:14")).toBe("2021-08-06T15:56:14.000Z");
    expect(readDate({ value: "/Date(0)/", DisplayHint: 2, DateTime: "Thursday, January 1, 1970 12:00:00 AM" }).toISOString()).toBe(
      "1970-01-01T00:00:00.000Z",
    );
  });

  it("reads culture-formatted text where day and month cannot be confused", () => {
    expect(iso("13/08/2026 15:56:14")).toBe("2026-08-13T15:56:14.000Z");
    expect(iso("08/13/2026 3:56:14 PM")).toBe("2026-08-13T15:56:14.000Z");
    expect(iso("06.08.2026 15:56:14")).toBe("2026-08-06T15:56:14.000Z");
    expect(iso("05/05/2026")).toBe("2026-05-05T00:00:00.000Z");
    expect(iso("Sunday 14 July 2024 02:13:02")).toBe("2024-07-14T02:13:02.000Z");
    expect(iso("Sunday, July 14, 2024 2:13:02 AM")).toBe("2024-07-14T02:13:02.000Z");
  });

  it("refuses culture text that reads two ways, and what is no date", () => {
    expect(() => readDate("08/06/2021 15:56:14")).toThrow("could be read with day and month either way");
    expect(() => readDate("31/04/2026")).toThrow("is not a date");
    expect(() => readDate("soon")).toThrow("is not a date");
    expect(() => readDate(42)).toThrow("is number 42");
    expect(() => readDate("/Date(99999999999999999999)/")).toThrow("is not a date");
    expect(() => readDate("2026-08-06T15:56:14+99:99")).toThrow("is not a date");
  });
});
