import { InputError } from "../errors.js";
import { judgeFeed } from "../feed/guard.js";
import { type EndpointSet, endpointSetsSchema } from "../feed/schema.js";
import type { RangeSet } from "../ip/index.js";
import { validate } from "../validation.js";
import { readJsonFile } from "./files.js";

/** A saved /endpoints response, validated; schema problems name the file and the endpoint set. */
export function parseEndpointsFile(data: unknown, file: string): EndpointSet[] {
  return validate(endpointSetsSchema, data, file);
}

/** The EOP SMTP set of a saved /endpoints response; a file without one is bad input. */
export async function eopFromFile(file: string): Promise<{ eop: RangeSet; setIds: number[] }> {
  const verdict = judgeFeed(parseEndpointsFile(await readJsonFile(file), file));
  if (!verdict.accepted) throw new InputError(`is not a usable feed: ${verdict.reason}`, { source: file });
  return verdict;
}
