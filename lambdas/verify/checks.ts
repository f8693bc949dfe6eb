/**
 * The verify core's pure checks: the newest backup's freshness, its size against the previous
 * ones, and which unusable manifests block; and the durations they report.
 */
import type { Catalog } from "../shared/catalog";
import { startTimeOfKey } from "../shared/keys";
import type { CheckResult, SizeBounds } from "./types";

/** How far a backup's start may lie after the verifier's clock (clock skew between hosts) before freshness fails. */
export const FUTURE_START_TOLERANCE_SECONDS = 5 * 60;

/**
 * The newest backup started within the maximum backup age. A start later than now beyond the clock-skew
 * tolerance fails: such a manifest (a wrong clock or a forged manifest) sorts first in the
 * catalog and would otherwise count as brand new on every run, hiding later failures.
 */
export function freshnessCheck(key: string, startedAt: string, now: Date, maxBackupAgeSeconds: number): CheckResult {
    const aheadSeconds = (Date.parse(startedAt) - now.getTime()) / 1000;
    if (aheadSeconds > FUTURE_START_TOLERANCE_SECONDS) {
        return {
            name: "freshness",
            ok: false,
            skipped: false,
            detail:
                `newest backup ${key} claims to have started at ${startedAt}, ${formatDuration(aheadSeconds)} after now (${now.toISOString()}); ` +
                `more than the ${formatDuration(FUTURE_START_TOLERANCE_SECONDS)} allowed for clock skew, so its age is unknown`,
        };
    }
    const age = backupAgeSeconds(startedAt, now);
    return {
        name: "freshness",
        ok: age <= maxBackupAgeSeconds,
        skipped: false,
        detail: `newest backup ${key} started ${formatDuration(age)} ago; maximum backup age ${formatDuration(maxBackupAgeSeconds)}`,
        value: age,
        unit: "Seconds",
    };
}

/** Seconds since the backup's snapshot was taken (its start), never negative. */
export function backupAgeSeconds(startedAt: string, now: Date): number {
    return Math.max(0, (now.getTime() - Date.parse(startedAt)) / 1000);
}

export interface SizeVerdict {
    readonly ok: boolean;
    /** Newest size divided by the median of the previous ones; undefined without history. */
    readonly ratio?: number;
    readonly median?: number;
    readonly detail: string;
}

/**
 * The newest backup's size against the median of the previous ones: outside
 * [minRatio, maxRatio] x median fails (a sudden drop usually means missing data).
 * Without previous backups there is nothing to compare with, which passes.
 */
export function sizeCheck(sizeBytes: number, previousSizes: readonly number[], bounds: SizeBounds): SizeVerdict {
    const baseline = previousSizes.slice(0, bounds.window);
    if (baseline.length === 0) {
        return { ok: true, detail: `${sizeBytes} bytes; no previous backup to compare with` };
    }
    const med = median(baseline);
    if (med === 0) {
        return { ok: sizeBytes === 0, median: 0, detail: `${sizeBytes} bytes; the previous backups' median is 0 bytes` };
    }
    const ratio = sizeBytes / med;
    const ok = ratio >= bounds.minRatio && ratio <= bounds.maxRatio;
    return {
        ok,
        ratio,
        median: med,
        detail: `${sizeBytes} bytes is ${ratio.toFixed(3)}x the median ${med} of the previous ${baseline.length}; allowed ${bounds.minRatio}x..${bounds.maxRatio}x`,
    };
}

export function median(values: readonly number[]): number {
    if (values.length === 0) {
        throw new RangeError("median of no values");
    }
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * A manifest that cannot be used is a failure when it is newer than the newest good backup (the
 * latest run left something broken); older ones are only reported. "Newer" is by start time and
 * then key, as the catalog orders backups: the good backup's manifest says when it started, a
 * broken one's key does (to the millisecond), and a broken key without a start time counts as
 * newest. S3's LastModified (one-second resolution, the time of the write) does not decide it.
 */
export function manifestsCheck(catalog: Catalog): CheckResult {
    const good = catalog.backups[0];
    const isNewer = (problemKey: string): boolean => {
        if (good === undefined) {
            return true;
        }
        const at = startTimeOfKey(problemKey)?.getTime();
        const goodAt = Date.parse(good.manifest.startedAt);
        return at === undefined || at > goodAt || (at === goodAt && problemKey > good.manifestKey);
    };
    const blocking = catalog.problems.filter((p) => isNewer(p.key));
    const older = catalog.problems.length - blocking.length;
    if (blocking.length > 0) {
        return {
            name: "manifests",
            ok: false,
            skipped: false,
            detail: `${blocking.length} unusable manifest(s) newer than the newest good backup: ${blocking.map((p) => p.reason).join("; ")}`,
            value: catalog.problems.length,
            unit: "Count",
        };
    }
    return {
        name: "manifests",
        ok: true,
        skipped: false,
        detail: `${catalog.backups.length} backup(s) with valid manifests` + (older > 0 ? `; ${older} older unusable manifest(s) ignored` : ""),
        value: catalog.problems.length,
        unit: "Count",
    };
}

/** `1h 02m 03s`, `4m 05s`, `6.2s`. */
export function formatDuration(seconds: number): string {
    if (seconds < 60) {
        return `${seconds.toFixed(1)}s`;
    }
    const total = Math.round(seconds);
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    return h > 0 ? `${h}h ${String(m).padStart(2, "0")}m ${String(s).padStart(2, "0")}s` : `${m}m ${String(s).padStart(2, "0")}s`;
}
