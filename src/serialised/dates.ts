import { InputError } from "../errors.js";
import { describeValue, printable } from "../validation.js";
import { isObject } from "./values.js";

const DATE_EXPECTED =
  'expected an ISO 8601 date, "/Date(milliseconds)/", an object with "value" or "DateTime", or a date whose day and month cannot be confused';
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
const MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

/**
 * A DateTime as the shell writes one:
 * - PowerShell 7 writes ISO 8601, with `Z` or an offset, or none for a DateTime
 *   of unspecified kind, read here as UTC (PowerShell/PowerShell#11126); CLIXML
 *   writes xs:dateTime, the same.
 * - Windows PowerShell 5.1 writes `"\/Date(1574202819000)\/"`, milliseconds since
 *   1970 in UTC (same pull request); an offset after them does not move them.
 * - Windows PowerShell 5.1 writes a DateTime wrapped in a PSObject as
 *   `{"value":"\/Date(…)\/","DisplayHint":2,"DateTime":"Sunday 14 July 2024 02:13:02"}`
 *   (invictus-ir/Microsoft-Extractor-Suite#76). `value` is used.
 * - Text in the server's culture (Format-List, a ToString) has no zone and is
 *   read as UTC; numeric dates only when the day cannot be taken for the
 *   month (`13/08/2026`, `08.06.2026` with dots, day first, or `05/05/2026`),
 *   and English month names.
 */
export function readDate(value: unknown): Date {
  if (isObject(value)) {
    if (value.value !== undefined && value.value !== null) return readDate(value.value);
    if (typeof value.DateTime === "string") return readDate(value.DateTime);
    throw new InputError(`is an object without a readable "value" or "DateTime": ${DATE_EXPECTED}`);
  }
  if (typeof value !== "string") throw new InputError(`is ${describeValue(value)}: ${DATE_EXPECTED}`);
  const text = value.trim();
  const msDate = /^\\?\/Date\((-?\d{1,15})(?:[+-]\d{4})?\)\\?\/$/.exec(text);
  // 15 digits reach the year 33658; beyond them a Date is no longer a time.
  if (msDate && Number.isFinite(new Date(Number(msDate[1])).getTime())) return new Date(Number(msDate[1]));
  const iso = ISO_DATE.exec(text);
  if (iso) {
    const [year, month, day, hours, minutes, seconds] = iso.slice(1, 7).map((part) => Number(part ?? 0));
    const millis = Number((iso[7] ?? "").padEnd(3, "0").slice(0, 3));
    const zone = iso[8] ?? "Z";
    const [offsetHours, offsetMinutes] = [Number(zone.slice(1, 3)), Number(zone.slice(-2))];
    const offset = zone.toUpperCase() === "Z" ? 0 : (zone[0] === "-" ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
    const at = utc(year!, month!, day!, hours!, minutes!, seconds!, millis);
    // Offsets run from -12:00 to +14:00.
    const zoneExists = zone.toUpperCase() === "Z" || (offsetHours <= 14 && offsetMinutes < 60);
    if (at && zoneExists) return new Date(at.getTime() - offset * 60_000);
  }
  const culture = cultureDate(text);
  if (culture === "ambiguous") {
    throw new InputError(`${printable(JSON.stringify(text.slice(0, 60)))} could be read with day and month either way: ${DATE_EXPECTED}`);
  }
  if (culture) return culture;
  throw new InputError(`${printable(JSON.stringify(text.slice(0, 60)))} is not a date: ${DATE_EXPECTED}`);
}

/** A date and time that exist (Date.UTC rolls 31 April over to 1 May), or undefined. */
function utc(year: number, month: number, day: number, hours = 0, minutes = 0, seconds = 0, millis = 0): Date | undefined {
  const d = new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds, millis));
  const exists = d.getUTCMonth() === month - 1 && d.getUTCDate() === day && d.getUTCHours() === hours && d.getUTCMinutes() === minutes;
  return exists && seconds < 60 ? d : undefined;
}

const TIME = String.raw`(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AP]M))?)?`;
const NUMERIC_DATE = new RegExp(String.raw`^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})${TIME}$`, "i");
const NAMED_DATE = new RegExp(String.raw`^(?:[A-Za-z]+,?\s+)?(?:(\d{1,2})\.?\s+([A-Za-z]+)|([A-Za-z]+)\s+(\d{1,2}),?)\s+(\d{4})${TIME}$`, "i");

function cultureDate(text: string): Date | "ambiguous" | undefined {
  const clock = (h?: string, m?: string, s?: string, ampm?: string): [number, number, number] => {
    let hours = Number(h ?? 0);
    if (ampm) hours = (hours % 12) + (ampm.toUpperCase() === "PM" ? 12 : 0);
    return [hours, Number(m ?? 0), Number(s ?? 0)];
  };
  const numeric = NUMERIC_DATE.exec(text);
  if (numeric) {
    const [, a, separator, b, year] = numeric;
    const first = Number(a);
    const second = Number(b);
    // Dotted dates are day first in every culture that writes them (de-DE, ru-RU…).
    let dayFirst: boolean | undefined = separator === "." ? true : first > 12 ? true : second > 12 ? false : undefined;
    if (dayFirst === undefined && first === second) dayFirst = true;
    if (dayFirst === undefined) return "ambiguous";
    const [day, month] = dayFirst ? [first, second] : [second, first];
    return utc(Number(year), month, day, ...clock(numeric[5], numeric[6], numeric[7], numeric[8]));
  }
  const named = NAMED_DATE.exec(text);
  if (named) {
    const monthName = (named[2] ?? named[3] ?? "").toLowerCase();
    const month = MONTHS.findIndex((m) => m === monthName || (monthName.length >= 3 && m.startsWith(monthName))) + 1;
    if (month === 0) return undefined;
    return utc(Number(named[5]), month, Number(named[1] ?? named[4]), ...clock(named[6], named[7], named[8], named[9]));
  }
  return undefined;
}
