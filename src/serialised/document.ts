import { InputError } from "../errors.js";
import { parseJson } from "../validation.js";
import { isCliXml, parseCliXml, plainValue } from "./clixml.js";
import { refusePrivateKeys } from "./private-keys.js";

/**
 * The value of a document as the readers take it, whichever way the shell
 * wrote it: JSON (`ConvertTo-Json`, or by hand), or CLIXML (`Export-Clixml`,
 * lossless), told apart by the text itself. CLIXML holding one object (one
 * connector, or the collector's hashtable) gives that object, as
 * ConvertTo-Json does; several give a list. A document that carries a
 * private key anywhere is refused whole.
 *
 * @example parseDocument(decodeText(bytes, "rc.xml"), "rc.xml")
 */
export function parseDocument(text: string, source: string): unknown {
  if (text.replace(/^\uFEFF/, "").trim() === "") throw new InputError("is empty: expected JSON or CLIXML (Export-Clixml)", { source });
  if (!isCliXml(text)) {
    const data = parseJson(text, source);
    refusePrivateKeys(data, source);
    return data;
  }
  // CLIXML is searched for keys as it is read, members that JSON would not keep included.
  // References repeat objects: what they make may exceed the text many times over, never without bound.
  const budget = 100_000 + text.length / 2;
  const values = parseCliXml(text, source).map((value) => plainValue(value, source, { budget }));
  return values.length === 1 ? values[0] : values;
}
