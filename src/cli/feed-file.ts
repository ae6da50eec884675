import { InputError } from "../errors.js";
import { type Cloud, cloudOfFeed } from "../feed/eop.js";
import { judgeFeed } from "../feed/guard.js";
import type { Instance } from "../feed/instances.js";
import { type EndpointSet, endpointSetsSchema } from "../feed/schema.js";
import type { RangeSet } from "../ip/index.js";
import { validate } from "../validation.js";
import { readJsonFile } from "./files.js";

/** A saved /endpoints response, validated; schema problems name the file and the endpoint set. */
export function parseEndpointsFile(data: unknown, file: string): EndpointSet[] {
  return validate(endpointSetsSchema, data, file);
}

/**
 * The EOP SMTP set of a saved /endpoints response and the cloud its URLs
 * belong to; a file without one, or of another cloud than `instance`, is bad input.
 */
export async function eopFromFile(file: string, instance?: Instance): Promise<{ eop: RangeSet; setIds: number[]; cloud: Cloud | undefined }> {
  const endpointSets = parseEndpointsFile(await readJsonFile(file), file);
  const verdict = judgeFeed(endpointSets, { instance });
  if (!verdict.accepted) throw new InputError(`is not a usable feed: ${verdict.reason}`, { source: file });
  return { ...verdict, cloud: cloudOfFeed(endpointSets)?.cloud };
}
