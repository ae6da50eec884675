/**
 * The identifier formats every part of the product shares: defined once,
 * so a feed version or a GUID means the same thing in the feed client, the
 * settings, the CLI flags, the stored state and the stand-in service.
 */
import { z } from "zod";

/** A GUID in its usual text form, any case: run ids, client request ids, tenant ids. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A feed version: `YYYYMMDDNN`, ten digits. */
export const FEED_VERSION = /^\d{10}$/;

export const feedVersionSchema = z.string().regex(FEED_VERSION, { message: "expected a feed version of 10 digits (YYYYMMDDNN)" });
