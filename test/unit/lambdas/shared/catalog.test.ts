import assert from "node:assert/strict";
import { BackupNotFoundError, ManifestError, parseManifest, selectBackup, UnusableNewerBackupError, type BackupEntry, type Catalog } from "../../../../lambdas/shared/catalog";
import { dumpKey, manifestKey } from "../../../../lambdas/shared/keys";
import { dumpFileKey, filesDigest, type BackupManifest } from "../../../../lambdas/shared/manifest";

function manifestAt(startedAt: string, runId = "r1"): BackupManifest {
    const key = dumpKey("backups", "app", "daily", new Date(startedAt), runId);
    return {
        formatVersion: 1,
        database: "app",
        bucket: "bucket",
        key,
        tier: "daily",
        runId,
        trigger: "schedule",
        sizeBytes: 2048,
        sha256: "ab".repeat(32),
        serverVersion: "15.18",
        serverVersionNum: 150018,
        pgDumpVersion: "pg_dump (PostgreSQL) 15.18",
        compression: { method: "gzip", level: 1 },
        startedAt,
        finishedAt: startedAt,
        durationMs: 10,
        tables: [{ schema: "public", name: "t", rows: 3 }],
    };
}

describe("catalog: manifest parsing", () => {
    const good = manifestAt("2026-11-21T01:00:00.000Z");
    const at = manifestKey(good.key);

    it("accepts a manifest that sits next to its object", () => {
        // given a well-formed manifest, when parsed from its own key, then it comes back unchanged
        assert.deepEqual(parseManifest(JSON.stringify(good), at, "app"), good);
    });

    const refusals: [string, string, RegExp][] = [
        ["text that is not JSON", "{not json", /^manifest .*: not JSON/],
        ["a missing field", JSON.stringify({ ...good, sha256: undefined }), /does not match the manifest format: .*sha256/],
        ["an upper-case checksum", JSON.stringify({ ...good, sha256: "AB".repeat(32) }), /expected 64 lower-case hex characters/],
        ["an unknown tier", JSON.stringify({ ...good, tier: "hourly" }), /does not match the manifest format: .*tier/],
        ["a negative size", JSON.stringify({ ...good, sizeBytes: -1 }), /sizeBytes/],
        ["another format version", JSON.stringify({ ...good, formatVersion: 2 }), /formatVersion/],
        ["another object's key", JSON.stringify({ ...good, key: `${good.key}x` }), /names object ".*x" but sits next to ".*\.dump"/],
        ["another database", JSON.stringify({ ...good, database: "other" }), /is for database "other", not "app"/],
    ];
    for (const [what, text, message] of refusals) {
        it(`refuses ${what}, saying why`, () => {
            // given a broken manifest, when parsed, then a ManifestError names the problem
            assert.throws(() => parseManifest(text, at, "app"), (err: unknown) => err instanceof ManifestError && err.key === at && message.test(err.message));
        });
    }
});

describe("catalog: directory-format manifests", () => {
    const base = manifestAt("2026-11-21T01:00:00.000Z");
    const toc = { name: "toc.dat", key: dumpFileKey(base.key, "toc.dat"), sizeBytes: 1000, sha256: "cd".repeat(32) };
    const data = { name: "3001.dat.gz", key: dumpFileKey(base.key, "3001.dat.gz"), sizeBytes: 1048, sha256: "ef".repeat(32) };
    const files = [toc, data];
    const good: BackupManifest = { ...base, format: "directory", files, sizeBytes: 2048, sha256: filesDigest(files) };
    const at = manifestKey(good.key);

    it("accepts one whose files sit under its key and add up to its size and digest", () => {
        // given a directory manifest, when parsed, then it comes back unchanged
        assert.deepEqual(parseManifest(JSON.stringify(good), at, "app"), good);
    });

    const refusals: [string, BackupManifest, RegExp][] = [
        ["no toc.dat", { ...good, files: [data], sizeBytes: 1048, sha256: filesDigest([data]) }, /without toc\.dat/],
        ["a file outside its key", { ...good, files: [toc, { ...data, key: "elsewhere/3001.dat.gz" }] }, /file 3001\.dat\.gz has key "elsewhere/],
        ["a total that is not its size", { ...good, sizeBytes: 2047 }, /sizeBytes 2047 is not the total 2048/],
        ["a digest that is not its files'", { ...good, sha256: "ab".repeat(32) }, /sha256 is not the digest of its files' list/],
        ["a file name with a path", { ...good, files: [toc, { ...data, name: "../x" }] }, /expected a plain file name/],
        ["files on a custom-format dump", { ...base, files }, /a custom-format dump lists files/],
    ];
    for (const [what, manifest, message] of refusals) {
        it(`refuses ${what}, saying why`, () => {
            // given a directory manifest that does not hold together, when parsed, then a ManifestError names the problem
            assert.throws(() => parseManifest(JSON.stringify(manifest), at, "app"), (err: unknown) => err instanceof ManifestError && message.test(err.message));
        });
    }
});

describe("catalog: choosing a backup", () => {
    const entry = (m: BackupManifest): BackupEntry => ({ manifest: m, manifestKey: manifestKey(m.key), objectSizeBytes: m.sizeBytes });
    const newest = entry(manifestAt("2026-11-21T03:00:00.000Z"));
    const middle = entry(manifestAt("2026-11-21T02:00:00.000Z"));
    const oldest = entry(manifestAt("2026-11-21T01:00:00.000Z"));
    const orphan = dumpKey("backups", "app", "daily", new Date("2026-11-21T04:00:00Z"), "zz");
    const catalog: Catalog = {
        bucket: "bucket",
        location: "s3://bucket",
        database: "app",
        backups: [newest, middle, oldest],
        problems: [{ key: manifestKey("backups/app/daily/broken.dump"), reason: "manifest backups/app/daily/broken.dump.manifest.json: not JSON", lastModified: new Date("2026-11-20T00:00:00Z") }],
        withoutManifest: [orphan],
    };

    it("picks the newest for latest", () => {
        assert.equal(selectBackup(catalog, { latest: true }), newest);
    });

    it("picks the newest started at or before a time", () => {
        // given times between, on, and before the backups
        // then the newest one not after the time is chosen
        assert.equal(selectBackup(catalog, { before: new Date("2026-11-21T02:30:00Z") }), middle);
        assert.equal(selectBackup(catalog, { before: new Date("2026-11-21T02:00:00Z") }), middle);
        assert.throws(() => selectBackup(catalog, { before: new Date("2026-11-21T00:59:59Z") }), /no backup started at or before 2026-11-21T00:59:59\.000Z in s3:\/\/bucket for database "app"/);
    });

    it("refuses to fall back past an unusable newer backup unless told to, for latest and before alike", () => {
        // given a catalog whose newest backup (by the time in its key) has an unusable manifest
        const brokenKey = manifestKey(dumpKey("backups", "app", "daily", new Date("2026-11-21T03:30:00Z"), "bad"));
        const broken = { ...catalog, problems: [{ key: brokenKey, reason: `manifest ${brokenKey}: not JSON` }] };
        const skipped: string[] = [];
        // when latest or a time after it is asked for, then it refuses naming the broken backup
        for (const selector of [{ latest: true } as const, { before: new Date("2026-11-21T04:00:00Z") }]) {
            assert.throws(
                () => selectBackup(broken, selector),
                (err: unknown) => err instanceof UnusableNewerBackupError && err.message.includes(brokenKey) && err.message.includes("--skip-unusable-newer"),
            );
            // and with the flag it takes the newest usable one, saying what it skipped
            assert.equal(selectBackup(broken, selector, { skipUnusableNewer: true, onSkipped: (p) => skipped.push(...p.map((x) => x.key)) }), newest);
        }
        assert.deepEqual(skipped, [brokenKey, brokenKey]);
        // and a time before the broken backup is not affected
        assert.equal(selectBackup(broken, { before: new Date("2026-11-21T03:15:00Z") }), newest);
        // and one of unknown time counts as newer
        assert.throws(() => selectBackup({ ...catalog, problems: [{ key: "backups/app/x.manifest.json", reason: "unknown" }] }, { latest: true }), UnusableNewerBackupError);
    });

    it("picks by key, and explains why a key is not a backup", () => {
        assert.equal(selectBackup(catalog, { key: oldest.manifest.key }), oldest);
        assert.throws(() => selectBackup(catalog, { key: orphan }), (err: unknown) => err instanceof BackupNotFoundError && /has no manifest, so it is not a backup/.test(err.message));
        assert.throws(() => selectBackup(catalog, { key: "backups/app/daily/broken.dump" }), /: manifest .*broken\.dump\.manifest\.json: not JSON/);
        assert.throws(() => selectBackup({ ...catalog, backups: [] }, { latest: true }), /no backup with a manifest in s3:\/\/bucket/);
    });
});
