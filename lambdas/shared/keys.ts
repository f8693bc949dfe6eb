import { MANIFEST_SUFFIX } from "./manifest";
import type { TierName } from "./tiers";

/**
 * Object key layout, one place for writers and readers:
 * `<prefix>/<database>/<tier>/YYYY/MM/DD/<database>-<YYYYMMDDTHHMMSSmmmZ>-<runId>.dump`.
 * The timestamp sorts lexically; the run id keeps two runs in the same millisecond apart.
 */
export function dumpKey(prefix: string, database: string, tier: TierName, at: Date, runId: string): string {
    const iso = at.toISOString();
    const day = `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}`;
    return `${trimSlashes(prefix)}/${database}/${tier}/${day}/${database}-${compactTimestamp(at)}-${runId}.dump`;
}

export function manifestKey(dumpObjectKey: string): string {
    return `${dumpObjectKey}${MANIFEST_SUFFIX}`;
}

/** Prefix under which every dump of one database lives, all tiers. */
export function databasePrefix(prefix: string, database: string): string {
    return `${trimSlashes(prefix)}/${database}/`;
}

/** `20261121T233015123Z`: sortable, no characters that need escaping in keys. */
export function compactTimestamp(at: Date): string {
    return at.toISOString().replace(/[-:.]/g, "");
}

function trimSlashes(prefix: string): string {
    return prefix.replace(/^\/+|\/+$/g, "");
}

/**
 * The start time a dump or manifest key carries (its `<database>-<YYYYMMDDTHHMMSSmmmZ>-<runId>`
 * file name, as dumpKey writes it), to the millisecond; undefined for a key not in that layout.
 */
export function startTimeOfKey(key: string): Date | undefined {
    const m = /-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-[^/]*$/.exec(key);
    if (m === null) {
        return undefined;
    }
    const at = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
    return Number.isNaN(at.getTime()) || compactTimestamp(at) !== `${m[1]}${m[2]}${m[3]}T${m[4]}${m[5]}${m[6]}${m[7]}Z` ? undefined : at;
}
