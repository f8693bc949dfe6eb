import assert from "node:assert/strict";
import fc from "fast-check";
import type { Catalog } from "../../../../lambdas/shared/catalog";
import type { BackupManifest } from "../../../../lambdas/shared/manifest";
import { parsePostgresUrl } from "../../../../lambdas/shared/pgTarget";
import { backupAgeSeconds, formatDuration, freshnessCheck, manifestsCheck, median, sizeCheck } from "../../../../lambdas/verify/checks";
import { VerifyConfigError } from "../../../../lambdas/verify/errors";
import { validateVerifyConfig } from "../../../../lambdas/verify/settings";
import { publish, scratchDatabaseName, type VerifyConfig } from "../../../../lambdas/verify/verify";
import { RecordingMetrics } from "../../../helpers/recorders";

const BOUNDS = { window: 7, minRatio: 0.5, maxRatio: 3 };

describe("verify: size bounds", () => {
    it("compares with the median of the previous backups", () => {
        // given previous sizes whose median is 100
        const previous = [90, 100, 1000, 95, 110];
        // when sizes around the bounds are checked
        // then 50..300 pass and anything outside fails
        assert.equal(sizeCheck(50, previous, BOUNDS).ok, true);
        assert.equal(sizeCheck(49, previous, BOUNDS).ok, false);
        assert.equal(sizeCheck(300, previous, BOUNDS).ok, true);
        assert.equal(sizeCheck(301, previous, BOUNDS).ok, false);
        assert.equal(sizeCheck(49, previous, BOUNDS).median, 100);
        assert.match(sizeCheck(49, previous, BOUNDS).detail, /0\.490x the median 100 of the previous 5; allowed 0\.5x\.\.3x/);
    });

    it("uses only the window's newest previous backups", () => {
        // given a window of 2 and older backups that were much bigger
        const previous = [100, 100, 10_000, 10_000, 10_000];
        // when a size of 100 is checked
        const verdict = sizeCheck(100, previous, { ...BOUNDS, window: 2 });
        // then only the two newest count
        assert.equal(verdict.ok, true);
        assert.equal(verdict.median, 100);
    });

    it("passes the first backup, which has nothing to compare with", () => {
        // given no previous backups
        // when checked
        const verdict = sizeCheck(12345, [], BOUNDS);
        // then it passes without a ratio
        assert.equal(verdict.ok, true);
        assert.equal(verdict.ratio, undefined);
    });

    it("property: a size at the median passes; a drop below minRatio x median fails", () => {
        fc.assert(
            fc.property(fc.array(fc.integer({ min: 1000, max: 1_000_000_000 }), { minLength: 1, maxLength: 7 }), (previous) => {
                // given any history, when the median itself and a drop below the lower bound are checked
                const m = median(previous);
                // then the first passes and the second fails
                return sizeCheck(m, previous, BOUNDS).ok && !sizeCheck(Math.floor(m * 0.49), previous, BOUNDS).ok;
            }),
        );
    });
});

describe("verify: median", () => {
    it("takes the middle value, or the mean of the two middle ones", () => {
        assert.equal(median([5, 1, 3]), 3);
        assert.equal(median([4, 1, 3, 2]), 2.5);
        assert.throws(() => median([]), RangeError);
    });

    it("property: lies between min and max and ignores order", () => {
        fc.assert(
            fc.property(fc.array(fc.integer(), { minLength: 1, maxLength: 30 }), (values) => {
                const m = median(values);
                return m >= Math.min(...values) && m <= Math.max(...values) && median([...values].reverse()) === m;
            }),
        );
    });
});

describe("verify: backup age", () => {
    it("counts from the backup's start and never goes negative", () => {
        // given a fixed now
        const now = new Date("2026-11-21T12:00:00Z");
        // when ages are computed
        // then a start 90 minutes earlier is 5400 s old and a start in the future is 0 s old
        assert.equal(backupAgeSeconds("2026-11-21T10:30:00.000Z", now), 5400);
        assert.equal(backupAgeSeconds("2026-11-21T12:05:00.000Z", now), 0);
    });

    it("fails freshness for a start in the future beyond the clock-skew tolerance, naming both times", () => {
        // given a fixed now, a maximum backup age of a day, and starts 4 minutes, 6 minutes and 3 days after now
        const now = new Date("2026-11-21T12:00:00Z");
        // when freshness is checked
        const skewed = freshnessCheck("b/near", "2026-11-21T12:04:00.000Z", now, 86_400);
        const ahead = freshnessCheck("b/ahead", "2026-11-21T12:06:00.000Z", now, 86_400);
        const forged = freshnessCheck("b/forged", "2026-11-24T12:00:00.000Z", now, 86_400);
        // then a few minutes of skew pass as age 0, while a start further ahead fails without claiming an age
        assert.deepEqual([skewed.ok, skewed.value], [true, 0]);
        assert.deepEqual([ahead.name, ahead.ok, ahead.skipped, ahead.value], ["freshness", false, false, undefined]);
        assert.match(ahead.detail, /^newest backup b\/ahead claims to have started at 2026-11-21T12:06:00\.000Z, 6m 00s after now \(2026-11-21T12:00:00\.000Z\); more than the 5m 00s allowed for clock skew/);
        assert.equal(forged.ok, false);
        assert.match(forged.detail, /72h 00m 00s after now/);
    });

    it("passes freshness within the maximum backup age and fails it beyond, with the age as its value", () => {
        // given a fixed now and a maximum backup age of an hour
        const now = new Date("2026-11-21T12:00:00Z");
        // when starts 59 and 61 minutes ago are checked
        const fresh = freshnessCheck("b/fresh", "2026-11-21T11:01:00.000Z", now, 3600);
        const stale = freshnessCheck("b/stale", "2026-11-21T10:59:00.000Z", now, 3600);
        // then the first passes and the second fails, both reporting their age
        assert.deepEqual([fresh.ok, fresh.value, stale.ok, stale.value], [true, 3540, false, 3660]);
        assert.strictEqual(stale.detail, "newest backup b/stale started 1h 01m 00s ago; maximum backup age 1h 00m 00s");
    });

    it("formats durations for details", () => {
        assert.equal(formatDuration(6.24), "6.2s");
        assert.equal(formatDuration(245), "4m 05s");
        assert.equal(formatDuration(3723), "1h 02m 03s");
    });
});

describe("verify: scratch database names", () => {
    it("is verify_<db>_<timestamp>_<random>", () => {
        assert.equal(scratchDatabaseName("orders", new Date("2026-11-21T23:30:15.123Z"), "a1b2c3"), "verify_orders_20261121233015_a1b2c3");
    });

    it("property: always a lower-case identifier of at most 63 bytes", () => {
        fc.assert(
            fc.property(fc.string({ minLength: 1, maxLength: 80 }), fc.date({ min: new Date("2000-01-01"), max: new Date("2099-12-31"), noInvalidDate: true }), (db, at) => {
                const name = scratchDatabaseName(db, at, "ff00aa");
                return /^verify_[a-z0-9_]*_\d{14}_ff00aa$/.test(name) && Buffer.byteLength(name) <= 63;
            }),
        );
    });
});

function manifest(key: string): BackupManifest {
    return {
        formatVersion: 1,
        database: "app",
        bucket: "b",
        key,
        tier: "daily",
        runId: "r",
        trigger: "schedule",
        sizeBytes: 1,
        sha256: "0".repeat(64),
        serverVersion: "15.18",
        serverVersionNum: 150018,
        pgDumpVersion: "pg_dump (PostgreSQL) 15.18",
        compression: { method: "gzip", level: 1 },
        startedAt: "2026-11-21T00:00:00.000Z",
        finishedAt: "2026-11-21T00:00:01.000Z",
        durationMs: 1000,
        tables: [],
    };
}

describe("verify: manifests check", () => {
    const goodKey = "p/app/daily/2026/11/21/app-20261121T000000000Z-r1.dump";
    const good = { manifest: manifest(goodKey), manifestKey: `${goodKey}.manifest.json`, objectSizeBytes: 1, manifestLastModified: new Date("2026-11-21T00:00:02Z") };
    const problemAt = (key: string, lastModified: string): Catalog => ({
        bucket: "b",
        location: "s3://b",
        database: "app",
        backups: [good],
        problems: [{ key, reason: `manifest ${key}: not JSON`, lastModified: new Date(lastModified) }],
        withoutManifest: [],
    });

    it("fails on an unusable manifest that started after the newest good backup, even when S3 lists it as written first", () => {
        // given a problem whose key says it started a millisecond after the good backup, written a second earlier
        const catalog = problemAt("p/app/daily/2026/11/21/app-20261121T000000001Z-r0.dump.manifest.json", "2026-11-21T00:00:01Z");
        // when checked, then it fails naming the reason
        const result = manifestsCheck(catalog);
        assert.equal(result.ok, false);
        assert.match(result.detail, /1 unusable manifest\(s\) newer than the newest good backup: manifest .*: not JSON/);
    });

    it("orders a problem started in the same millisecond as the good backup by key, and one without a start time as newest", () => {
        // given problems in the good backup's millisecond on either side of its key, and one outside the key layout
        const after = problemAt("p/app/daily/2026/11/21/app-20261121T000000000Z-r2.dump.manifest.json", "2026-11-21T00:00:00Z");
        const before = problemAt("p/app/daily/2026/11/21/app-20261121T000000000Z-r0.dump.manifest.json", "2026-11-21T00:00:09Z");
        const unknown = problemAt("p/app/daily/x.manifest.json", "2020-01-01T00:00:00Z");
        // when checked, then the later key and the unknown one fail, the earlier key passes
        assert.deepEqual([after, before, unknown].map((c) => manifestsCheck(c).ok), [false, true, false]);
    });

    it("only reports unusable manifests that started before the newest good backup, whenever S3 says they were written", () => {
        // given a problem that started a day before the good backup but was written after it
        const catalog = problemAt("p/app/daily/2026/11/20/app-20261120T000000000Z-r0.dump.manifest.json", "2026-11-22T00:00:00Z");
        // when checked, then it passes and says what it ignored
        const result = manifestsCheck(catalog);
        assert.equal(result.ok, true);
        assert.match(result.detail, /1 older unusable manifest\(s\) ignored/);
        assert.equal(result.value, 1);
    });
});

describe("verify: configuration rules", () => {
    const valid: VerifyConfig = {
        bucket: "b",
        prefix: "backups",
        databases: ["app"],
        maxBackupAgeSeconds: 3600,
        rtoSeconds: 3600,
        size: BOUNDS,
        verificationServer: parsePostgresUrl("postgres://u@h/postgres", "url"),
    };
    const cases: [string, Partial<VerifyConfig>, RegExp][] = [
        ["maxBackupAge", { maxBackupAgeSeconds: 0 }, /^maxBackupAgeSeconds: 0 is not allowed; expected a number of seconds > 0$/],
        ["rto", { rtoSeconds: -1 }, /^rtoSeconds: -1 is not allowed/],
        ["window", { size: { ...BOUNDS, window: 0 } }, /^size\.window: 0 is out of range; expected an integer 1\.\.100$/],
        ["minRatio", { size: { ...BOUNDS, minRatio: 1.5 } }, /^size\.minRatio: 1\.5 is out of range; expected a number in \(0, 1\]$/],
        ["maxRatio", { size: { ...BOUNDS, maxRatio: 0.9 } }, /^size\.maxRatio: 0\.9 is out of range; expected a finite number >= 1$/],
        ["nothing to verify", { databases: [] }, /^databases: empty, and no azureServers either/],
        ["bad name", { databases: ["a b"] }, /^databases: "a b" is not allowed; expected 1\.\.63 of/],
        ["duplicate", { databases: ["a", "a"] }, /^databases: "a" is listed twice$/],
        ["azure field", { azureServers: [{ name: "x", resourceGroup: " ", serverName: "s" }] }, /^azureServers\[0\]\.resourceGroup: " " is not allowed; expected a non-empty name$/],
        ["jobs", { jobs: 65 }, /^jobs: 65 is out of range; expected an integer 1\.\.64$/],
    ];
    for (const [name, change, message] of cases) {
        it(`refuses ${name}`, () => {
            // given a valid config with one field broken, when validated, then the message names it
            assert.throws(() => validateVerifyConfig({ ...valid, ...change }), (err: unknown) => err instanceof VerifyConfigError && message.test(err.message));
        });
    }

    it("accepts the valid config", () => {
        assert.doesNotThrow(() => validateVerifyConfig(valid));
    });
});

describe("verify: metrics", () => {
    it("publishes success/failure, a failure per run check, and the measures; never skipped checks", () => {
        // given a result whose restore failed and whose later checks were skipped
        const metrics = new RecordingMetrics();
        publish(metrics, {
            name: "app",
            kind: "dump",
            ok: false,
            checks: [
                { name: "freshness", ok: true, skipped: false, detail: "", value: 120, unit: "Seconds" },
                { name: "size", ok: true, skipped: false, detail: "", value: 1.1, unit: "None" },
                { name: "restore", ok: false, skipped: false, detail: "" },
                { name: "rto", ok: false, skipped: true, detail: "not run" },
            ],
        });
        // when the metrics are read, then
        assert.deepEqual(
            metrics.entries.map((m) => [m.name, m.value, m.dimensions.Check ?? "", m.dimensions.Database]),
            [
                ["VerificationSucceeded", 0, "", "app"],
                ["VerificationFailed", 1, "", "app"],
                ["VerificationCheckFailed", 0, "freshness", "app"],
                ["VerificationCheckFailed", 0, "size", "app"],
                ["VerificationCheckFailed", 1, "restore", "app"],
                ["BackupAgeSeconds", 120, "", "app"],
                ["BackupSizeRatio", 1.1, "", "app"],
            ],
        );
    });
});
