/**
 * The retention tiers, defined once for the functions, the components and the stack
 * configuration. It lives here because the functions' image is built from lambdas/ alone:
 * components/ and config/ import it, never the other way round.
 */

/** The retention tiers a dump can belong to, shortest-lived first. */
export const TIER_NAMES = ["daily", "weekly", "monthly"] as const;
export type TierName = (typeof TIER_NAMES)[number];

/**
 * Object tag that selects a dump's lifecycle rule: `tier=<daily|weekly|monthly>`. The dump
 * tags the dump and its manifest with it; the backup bucket's lifecycle filters on it. A tag
 * rather than a key prefix, because the key layout is `<prefix>/<database>/<tier>/YYYY/...`:
 * the database sits before the tier, and a lifecycle prefix filter cannot skip a segment.
 */
export const TIER_TAG_KEY = "tier";
