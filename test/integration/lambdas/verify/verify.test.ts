import assert from "node:assert/strict";
import fc from "fast-check";
import type { S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import { runDump } from "../../../../lambdas/dump/dump";
import { dumpSettings } from "../../../../lambdas/dump/settings";
import { parsePostgresUrl } from "../../../../lambdas/shared/pgTarget";
import { findPgTool } from "../../../../lambdas/shared/pgTools";
import { restoreBackup } from "../../../../lambdas/shared/restore";
import { VerificationFailedError } from "../../../../lambdas/verify/errors";
import type { handler as verifyHandler } from "../../../../lambdas/verify/handler";
import type { FlexibleServerBackupLister } from "../../../../lambdas/verify/azure";
import { runVerify, type CheckName, type CheckResult, type TargetVerification, type VerifyConfig } from "../../../../lambdas/verify/verify";
import { listBackups, type BackupEntry } from "../../../../lambdas/shared/catalog";
import { createDatabase, freePort, loadSampleData, query, quoteIdent, startPostgres, startS3, type EmbeddedPostgres, type EmbeddedS3 } from "../../../helpers/embedded";
import { asLambdaRuntime, captureOutput, coldStart, emfDocuments, lambdaContext, restoreEnv, resultLines } from "../../../helpers/lambda";
import { RecordingLog, RecordingMetrics } from "../../../helpers/recorders";
import { running, stubbornPgRestore } from "../../../helpers/stubbornTool";
import { contentChecksums, countTables, putFixtureBackup, rewriteObject } from "../../backupFixture";
import { s3Storage } from "../../../../lambdas/shared/storage/s3";

const BUCKET = "verify-tests";
const PREFIX = "backups";
const HOUR = 3600;
const DAY = 24 * HOUR;

function check(t: TargetVerification, name: CheckName): CheckResult {
    const found = t.checks.find((c) => c.name === name);
    assert.ok(found !== undefined, `no ${name} check in ${JSON.stringify(t.checks)}`);
    return found;
}

function failed(t: TargetVerification): CheckName[] {
    return t.checks.filter((c) => !c.ok && !c.skipped).map((c) => c.name);
}

describe("verify (real PostgreSQL and s3rver)", function () {
    this.timeout(120_000);
    let pg: EmbeddedPostgres;
    let s3server: EmbeddedS3;
    let s3: S3Client;
    /** The verifier's clock, set when this file's tests start (not when the suite loads), so a long suite run ahead of it does not age it. */
    let now = new Date();
    const ago = (seconds: number): Date => new Date(now.getTime() - seconds * 1000);

    before(async () => {
        now = new Date();
        pg = await startPostgres();
        s3server = await startS3();
        s3 = s3server.client();
        await s3server.createBucket(BUCKET);
        await createDatabase(pg.url(), "source");
        await loadSampleData(pg.url("source"), { scale: 0.05 });
        await createDatabase(pg.url(), "tiny");
        await query(pg.url("tiny"), "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10)");
    });

    after(async () => {
        s3?.destroy();
        await s3server?.stop();
        await pg?.stop();
    });

    function config(database: string, extra: Partial<VerifyConfig> = {}): VerifyConfig {
        return {
            bucket: BUCKET,
            prefix: PREFIX,
            databases: [database],
            maxBackupAgeSeconds: 26 * HOUR,
            rtoSeconds: 3600,
            size: { window: 7, minRatio: 0.5, maxRatio: 3 },
            verificationServer: parsePostgresUrl(pg.url("postgres"), "verificationServer"),
            jobs: 2,
            binDir: pg.binDir,
            ...extra,
        };
    }

    async function backup(database: string, at: Date, extra: Partial<Parameters<typeof putFixtureBackup>[0]> = {}) {
        return putFixtureBackup({ s3, bucket: BUCKET, prefix: PREFIX, database, sourceUrl: pg.url("source"), binDir: pg.binDir, at, ...extra });
    }

    async function scratchDatabases(): Promise<string[]> {
        return (await query<{ datname: string }>(pg.url(), "SELECT datname FROM pg_database WHERE datname LIKE 'verify\\_%'")).map((r) => r.datname);
    }

    async function verify(cfg: VerifyConfig, deps: { azure?: FlexibleServerBackupLister } = {}) {
        const log = new RecordingLog();
        const metrics = new RecordingMetrics();
        const report = await runVerify(cfg, { s3, log, metrics, now: () => now, ...deps });
        return { report, log, metrics, target: report.targets[0] as TargetVerification };
    }

    it("passes a recent, intact, restorable backup and publishes every measure", async () => {
        // given two backups a day apart, the newest an hour old
        await backup("healthy", ago(25 * HOUR));
        const newest = await backup("healthy", ago(HOUR));
        // when verify runs
        const { report, metrics, target } = await verify(config("healthy"));
        // then every check passes on the newest backup and the scratch database is gone
        assert.equal(report.ok, true, JSON.stringify(target.checks, null, 1));
        assert.deepEqual(target.checks.map((c) => c.name), ["manifests", "freshness", "size", "checksum", "restore", "rowCounts", "rto", "cleanup"]);
        assert.equal(target.backup?.manifest.key, newest.manifest.key);
        assert.ok(Math.abs((check(target, "freshness").value ?? 0) - HOUR) < 5);
        assert.match(target.scratchDatabase ?? "", /^verify_healthy_\d{14}_[0-9a-f]{6}$/);
        assert.deepEqual(await scratchDatabases(), []);
        // and the metrics say so, each with the Database dimension
        assert.deepEqual(metrics.named("VerificationSucceeded").map((m) => [m.value, m.dimensions.Database]), [[1, "healthy"]]);
        assert.deepEqual(metrics.named("VerificationFailed").map((m) => m.value), [0]);
        assert.equal(metrics.named("RestoreWithinRto")[0]?.value, 1);
        assert.ok((metrics.named("RestoreSeconds")[0]?.value ?? 0) > 0);
        assert.ok(Math.abs((metrics.named("BackupAgeSeconds")[0]?.value ?? 0) - HOUR) < 5);
        assert.equal(metrics.named("VerificationCheckFailed").length, 8);
        assert.ok(metrics.named("VerificationCheckFailed").every((m) => m.value === 0));
    });

    it("fails the checksum of an object corrupted by one byte and restores nothing", async () => {
        // given a backup whose stored object has one flipped byte
        const b = await backup("onebyte", ago(HOUR));
        await rewriteObject(s3, BUCKET, b.manifest.key, (body) => {
            const copy = Buffer.from(body);
            copy[100] = (copy[100] ?? 0) ^ 0x80;
            return copy;
        });
        // when verify runs
        const { report, metrics, target } = await verify(config("onebyte"));
        // then the checksum check fails, the restore is not attempted, and no scratch database exists
        assert.equal(report.ok, false);
        assert.deepEqual(failed(target), ["checksum"]);
        assert.match(check(target, "checksum").detail, /does not match its manifest: sha256 [0-9a-f]{64}, manifest says/);
        assert.equal(check(target, "restore").skipped, true);
        assert.deepEqual(await scratchDatabases(), []);
        assert.deepEqual(metrics.named("VerificationFailed").map((m) => m.value), [1]);
        assert.deepEqual(metrics.named("VerificationCheckFailed").filter((m) => m.value === 1).map((m) => m.dimensions.Check), ["checksum"]);
    });

    it("fails the checksum of a truncated object, naming both sizes", async () => {
        // given a backup whose stored object lost its last 1000 bytes
        const b = await backup("truncated", ago(HOUR));
        await rewriteObject(s3, BUCKET, b.manifest.key, (body) => body.subarray(0, body.length - 1000));
        // when verify runs
        const { target } = await verify(config("truncated"));
        // then the checksum check names the sizes
        assert.deepEqual(failed(target), ["checksum"]);
        assert.match(check(target, "checksum").detail, new RegExp(`size ${b.archive.length - 1000} bytes, manifest says ${b.archive.length}`));
    });

    it("ignores the newest object without a manifest and reports the previous good backup and its age", async () => {
        // given a good backup 3 hours old and a newer dump object with no manifest
        const good = await backup("nomanifest", ago(3 * HOUR));
        const orphan = await backup("nomanifest", ago(HOUR), { withoutManifest: true });
        // when verify runs
        const { report, log, target } = await verify(config("nomanifest"));
        // then the good backup is verified, its age is reported, and the orphan is logged as ignored
        assert.equal(report.ok, true, JSON.stringify(target.checks, null, 1));
        assert.equal(target.backup?.manifest.key, good.manifest.key);
        assert.ok(Math.abs((check(target, "freshness").value ?? 0) - 3 * HOUR) < 5);
        assert.ok(log.entries.some((e) => e.level === "warn" && e.extra.key === orphan.manifest.key));
    });

    it("fails the restore when the verification server refuses connections", async () => {
        // given a good backup and a verification server address nothing listens on
        await backup("refused", ago(HOUR));
        const closed = await freePort();
        const cfg = config("refused", { verificationServer: parsePostgresUrl(`postgres://postgres@127.0.0.1:${closed}/postgres`, "verificationServer") });
        // when verify runs
        const { report, target } = await verify(cfg);
        // then the checksum passes, the restore fails with the reason, and nothing is claimed about row counts
        assert.equal(report.ok, false);
        assert.equal(check(target, "checksum").ok, true);
        assert.deepEqual(failed(target), ["restore"]);
        assert.match(check(target, "restore").detail, /ECONNREFUSED/);
        assert.equal(check(target, "rowCounts").skipped, true);
    });

    it("fails the restore of an archive pg_restore finds damaged, and drops the scratch database", async () => {
        // given a backup whose archive body is damaged behind a valid header, described by a matching manifest
        await backup("damaged", ago(HOUR), { editArchive: (b) => Buffer.concat([b.subarray(0, 2048), Buffer.alloc(b.length - 2048, 0x33)]) });
        // when verify runs
        const { target } = await verify(config("damaged"));
        // then the restore fails, cleanup passes, and no scratch database is left
        assert.deepEqual(failed(target), ["restore"]);
        assert.match(check(target, "restore").detail, /pg_restore failed/);
        assert.equal(check(target, "cleanup").ok, true);
        assert.deepEqual(await scratchDatabases(), []);
    });

    it("fails on a row-count mismatch, names the table, and drops the scratch database", async () => {
        // given a manifest that claims 5 fewer rows in sales.customers than the dump holds
        await backup("rowcount", ago(HOUR), {
            editManifest: (m) => ({ ...m, tables: m.tables.map((t) => (t.name === "customers" ? { ...t, rows: t.rows - 5 } : t)) }),
        });
        // when verify runs
        const { target } = await verify(config("rowcount"));
        // then only the row counts fail, naming the table, and the scratch database is gone
        assert.deepEqual(failed(target), ["rowCounts"]);
        assert.match(check(target, "rowCounts").detail, /1 of \d+ table\(s\) differ: sales\.customers restored \d+, manifest \d+/);
        assert.equal(check(target, "cleanup").ok, true);
        assert.deepEqual(await scratchDatabases(), []);
    });

    it("fails freshness when the newest backup is older than the maximum backup age", async () => {
        // given only a backup 30 hours old and a maximum backup age of 26 hours
        await backup("stale", ago(30 * HOUR));
        // when verify runs
        const { metrics, target } = await verify(config("stale"));
        // then freshness fails with the age, and the rest still runs
        assert.deepEqual(failed(target), ["freshness"]);
        assert.ok(Math.abs((check(target, "freshness").value ?? 0) - 30 * HOUR) < 5);
        assert.equal(check(target, "restore").ok, true);
        assert.ok(Math.abs((metrics.named("BackupAgeSeconds")[0]?.value ?? 0) - 30 * HOUR) < 5);
    });

    it("fails freshness when the newest backup claims a start in the future, naming both times", async () => {
        // given a backup an hour old and a newer one whose manifest says it started two hours from now
        await backup("future", ago(HOUR));
        const ahead = await backup("future", ago(-2 * HOUR));
        // when verify runs
        const { metrics, target } = await verify(config("future"));
        // then the future backup is the one checked, freshness fails with both times, and no age metric claims it is new
        assert.equal(target.backup?.manifest.key, ahead.manifest.key);
        assert.deepEqual(failed(target), ["freshness"]);
        const detail = check(target, "freshness").detail;
        assert.ok(detail.includes(`claims to have started at ${ahead.manifest.startedAt}, 2h 00m 00s after now (${now.toISOString()})`), detail);
        assert.deepEqual(metrics.named("BackupAgeSeconds"), []);
    });

    it("fails on a sudden size drop against the median of the previous backups", async () => {
        // given three backups of the sample database and a newest one of a nearly empty database
        for (const days of [3, 2, 1]) {
            await backup("shrunk", ago(days * DAY));
        }
        await backup("shrunk", ago(HOUR), { sourceUrl: pg.url("tiny") });
        // when verify runs
        const { metrics, target } = await verify(config("shrunk"));
        // then only the size check fails, with the ratio as its value
        assert.deepEqual(failed(target), ["size"]);
        const ratio = check(target, "size").value ?? 1;
        assert.ok(ratio < 0.5, `ratio ${ratio}`);
        assert.equal(metrics.named("BackupSizeRatio")[0]?.value, ratio);
    });

    it("fails the RTO check when the measured restore takes longer than the RTO", async () => {
        // given a good backup and an RTO of one millisecond
        await backup("slowrto", ago(HOUR));
        // when verify runs
        const { metrics, target } = await verify(config("slowrto", { rtoSeconds: 0.001 }));
        // then only the RTO check fails, and RestoreWithinRto is 0
        assert.deepEqual(failed(target), ["rto"]);
        assert.equal(metrics.named("RestoreWithinRto")[0]?.value, 0);
    });

    it("stops pg_restore at the deadline's safety margin and still drops the scratch database", async () => {
        // given a good backup and only 20 ms left beyond the 60 s safety margin
        await backup("deadline", ago(HOUR));
        const log = new RecordingLog();
        // when verify runs
        const report = await runVerify(config("deadline"), { s3, log, metrics: new RecordingMetrics(), now: () => now, remainingMs: () => 60_020 });
        const target = report.targets[0] as TargetVerification;
        // then the restore fails as timed out, and the scratch database is gone
        assert.deepEqual(failed(target), ["restore"]);
        assert.match(check(target, "restore").detail, /pg_restore failed: timed out after \d+ ms/);
        assert.equal(check(target, "cleanup").ok, true);
        assert.deepEqual(await scratchDatabases(), []);
    });

    it("kills a pg_restore that ignores SIGTERM at the restore limit and still drops the scratch database", async () => {
        // given a good backup and a pg_restore that ignores SIGTERM and hangs, with a worker of its own
        await backup("stubborn", ago(HOUR));
        const stubborn = await stubbornPgRestore(pg.binDir);
        try {
            // when verify runs with a 300 ms restore limit
            const started = performance.now();
            const { target } = await verify(config("stubborn", { binDir: stubborn.binDir, restoreTimeoutMs: 300 }));
            const seconds = (performance.now() - started) / 1000;
            // then it ends within the limit plus the 5 s grace (and some slack), the restore fails as timed out, and nothing is left
            assert.ok(seconds < 10, `took ${seconds.toFixed(1)} s`);
            assert.deepEqual(failed(target), ["restore"]);
            assert.match(check(target, "restore").detail, /pg_restore failed: timed out after 300 ms/);
            assert.equal(check(target, "cleanup").ok, true);
            assert.deepEqual(await scratchDatabases(), []);
            for (const pid of await stubborn.pids()) {
                assert.equal(await running(pid), false, `process ${pid} still runs`);
            }
        } finally {
            for (const pid of await stubborn.pids().catch(() => [])) {
                if (await running(pid)) {
                    process.kill(pid, "SIGKILL");
                }
            }
            await stubborn.remove();
        }
    });

    it("does not start a restore inside the safety margin", async () => {
        // given a good backup and less time left than the safety margin
        await backup("nomargin", ago(HOUR));
        // when verify runs
        const report = await runVerify(config("nomargin"), { s3, log: new RecordingLog(), metrics: new RecordingMetrics(), now: () => now, remainingMs: () => 30_000 });
        const target = report.targets[0] as TargetVerification;
        // then nothing is downloaded or restored, and the verification fails
        assert.equal(target.ok, false);
        assert.equal(check(target, "restore").skipped, true);
        assert.match(check(target, "restore").detail, /too little time left before the deadline/);
        assert.deepEqual(await scratchDatabases(), []);
    });

    it("fails when there is no backup at all", async () => {
        // given a database name with nothing in the bucket
        // when verify runs
        const { report, metrics, target } = await verify(config("absent"));
        // then freshness fails and no age metric claims anything
        assert.equal(report.ok, false);
        assert.deepEqual(failed(target), ["freshness"]);
        assert.match(check(target, "freshness").detail, /no backup with a manifest/);
        assert.deepEqual(metrics.named("BackupAgeSeconds"), []);
    });

    it("fails on a broken manifest newer than the newest good backup", async () => {
        // given a good backup and, later, a backup whose manifest names another object
        await backup("badmanifest", ago(2 * HOUR));
        await new Promise((r) => setTimeout(r, 1100));
        await backup("badmanifest", ago(HOUR), { editManifest: (m) => ({ ...m, key: `${m.key}.other` }) });
        // when verify runs
        const { target } = await verify(config("badmanifest"));
        // then the manifests check fails and names the problem, while the good backup is still verified
        assert.deepEqual(failed(target), ["manifests"]);
        assert.match(check(target, "manifests").detail, /names object ".*\.other" but sits next to/);
        assert.equal(check(target, "restore").ok, true);
    });

    it("fails on a broken manifest that started after the good one in the same second, whatever order S3 wrote them in", async () => {
        // given, started in the same second, a good backup and 400 ms later a broken one, the broken one written to S3 first
        const second = new Date(Math.floor(ago(HOUR).getTime() / 1000) * 1000);
        await backup("samesecond", new Date(second.getTime() + 400), { editManifest: (m) => ({ ...m, key: `${m.key}.other` }) });
        await backup("samesecond", second);
        // when verify runs
        const { target } = await verify(config("samesecond"));
        // then the manifests check fails, naming the broken one, while the good backup is still verified
        assert.deepEqual(failed(target), ["manifests"]);
        assert.match(check(target, "manifests").detail, /1 unusable manifest\(s\) newer than the newest good backup: .*names object ".*\.other"/);
        assert.equal(check(target, "restore").ok, true);
    });

    it("property: a row count that differs for any one table of the manifest, the last included, fails verify naming that table", async () => {
        // given a source with odd names over several schemas and one huge row
        await createDatabase(pg.url(), "adversarial");
        await query(
            pg.url("adversarial"),
            `CREATE SCHEMA "Odd ""Schema"""; CREATE TABLE "Odd ""Schema"""."Mixed Case.Täble" (id int); INSERT INTO "Odd ""Schema"""."Mixed Case.Täble" VALUES (1), (2), (3);
             CREATE SCHEMA "dotted.name"; CREATE TABLE "dotted.name"."a b" (id int); INSERT INTO "dotted.name"."a b" SELECT generate_series(1, 5);
             CREATE SCHEMA "ünïcødé"; CREATE TABLE "ünïcødé"."ü" (id int); INSERT INTO "ünïcødé"."ü" VALUES (1), (2);
             CREATE TABLE "UPPER" (id int); INSERT INTO "UPPER" SELECT generate_series(1, 4);
             CREATE SCHEMA "zz last"; CREATE TABLE "zz last".huge (id int, body text); INSERT INTO "zz last".huge SELECT i, CASE WHEN i = 1 THEN repeat(md5('x'), 100000) ELSE 'small' END FROM generate_series(1, 3) AS i;`,
        );
        const tables = await countTables(pg.url("adversarial"));
        let run = 0;
        await fc.assert(
            fc.asyncProperty(fc.nat({ max: tables.length - 1 }), fc.integer({ min: -3, max: 1_000_000 }).filter((d) => d !== 0), async (index, delta) => {
                // when the manifest claims another count for that one table
                run++;
                const table = tables[index] as (typeof tables)[number];
                const claimed = table.rows + delta < 0 ? table.rows + 1 : table.rows + delta;
                await backup(`mismatch${run}`, ago(HOUR), {
                    sourceUrl: pg.url("adversarial"),
                    editManifest: (m) => ({ ...m, tables: m.tables.map((t, i) => (i === index ? { ...t, rows: claimed } : t)) }),
                });
                const { target } = await verify(config(`mismatch${run}`));
                // then only the row counts fail, naming exactly that table with both numbers
                assert.deepEqual(failed(target), ["rowCounts"]);
                assert.equal(
                    check(target, "rowCounts").detail,
                    `1 of ${tables.length} table(s) differ: ${table.schema}.${table.name} restored ${table.rows}, manifest ${claimed}`,
                );
            }),
            { numRuns: tables.length + 2, examples: tables.map((_, i): [number, number] => [i, i % 2 === 0 ? 1 : -1]) },
        );
        assert.deepEqual(await scratchDatabases(), []);
    });

    it("property: a manifest whose size or SHA-256 differs from the object in any way fails the checksum and restores nothing", async () => {
        // given the tiny database's archive
        let run = 0;
        await fc.assert(
            fc.asyncProperty(fc.oneof(fc.record({ sizeDelta: fc.integer({ min: -100, max: 100 }).filter((d) => d !== 0) }), fc.record({ hexAt: fc.nat({ max: 63 }) })), async (change) => {
                // when the manifest's size or one hex digit of its SHA-256 is changed
                run++;
                await backup(`digest${run}`, ago(HOUR), {
                    sourceUrl: pg.url("tiny"),
                    editManifest: (m) =>
                        "sizeDelta" in change
                            ? { ...m, sizeBytes: Math.max(0, m.sizeBytes + change.sizeDelta) }
                            : { ...m, sha256: `${m.sha256.slice(0, change.hexAt)}${m.sha256[change.hexAt] === "0" ? "1" : "0"}${m.sha256.slice(change.hexAt + 1)}` },
                });
                const { target } = await verify(config(`digest${run}`));
                // then the checksum fails and nothing was restored
                assert.deepEqual(failed(target), ["checksum"]);
                assert.equal(check(target, "restore").skipped, true);
            }),
            { numRuns: 8 },
        );
        assert.deepEqual(await scratchDatabases(), []);
    });

    it("round trip: dump -> verify -> restore gives back the source, row counts and content", async () => {
        // given the sample database dumped by the dump function itself
        const manifest = await runDump(dumpSettings({ database: "roundtrip", bucket: BUCKET, prefix: PREFIX, pgDumpPath: findPgTool("pg_dump", pg.binDir) }), {
            s3,
            target: parsePostgresUrl(pg.url("source"), "source"),
            log: new RecordingLog(),
        });
        // when verify runs on it and it is restored into a new database
        const { report, target } = await verify({ ...config("roundtrip"), maxBackupAgeSeconds: 600 });
        const restored = await restoreBackup({
            s3,
            bucket: BUCKET,
            manifest,
            target: parsePostgresUrl(pg.url("roundtrip_copy"), "target"),
            binDir: pg.binDir,
            jobs: 2,
            log: new RecordingLog(),
        });
        // then verify passed on exactly that backup, every table's count matches, and every table's content equals the source
        assert.equal(report.ok, true, JSON.stringify(target.checks, null, 1));
        assert.equal(target.backup?.manifest.sha256, manifest.sha256);
        assert.equal(restored.rowCountsMatch, true);
        assert.deepEqual(
            restored.tables.map((t) => `${t.schema}.${t.name}`).sort(),
            (await countTables(pg.url("source"))).filter((t) => t.name !== "daily_revenue" && t.name !== "events").map((t) => `${t.schema}.${t.name}`).sort(),
        );
        assert.deepEqual(await contentChecksums(pg.url("roundtrip_copy")), await contentChecksums(pg.url("source")));
    });

    it("counts every row of a table with forced row-level security when the verify user is CREATEDB only, leaving the restored table forced", async () => {
        // given a source table with ENABLE and FORCE row level security and a restrictive policy that hides every row, next to a plain one
        await createDatabase(pg.url(), "rls_source");
        const secured = `${quoteIdent("Sécure ds")}.${quoteIdent('Row "Level".t')}`;
        await query(
            pg.url("rls_source"),
            `CREATE SCHEMA ${quoteIdent("Sécure ds")};
             CREATE TABLE ${secured} (id int PRIMARY KEY, owner_name text);
             INSERT INTO ${secured} SELECT i, 'u' || i FROM generate_series(1, 1000) AS i;
             ALTER TABLE ${secured} ENABLE ROW LEVEL SECURITY;
             ALTER TABLE ${secured} FORCE ROW LEVEL SECURITY;
             CREATE POLICY hide_all ON ${secured} AS RESTRICTIVE USING (owner_name = current_user);
             CREATE TABLE plain (id int); INSERT INTO plain SELECT generate_series(1, 7);`,
        );
        await query(pg.url(), "CREATE ROLE verifier LOGIN CREATEDB");
        await putFixtureBackup({ s3, bucket: BUCKET, prefix: PREFIX, database: "rls", sourceUrl: pg.url("rls_source"), binDir: pg.binDir, at: ago(HOUR) });
        const asVerifier = { ...parsePostgresUrl(pg.url("postgres"), "verificationServer"), user: "verifier" };
        // when verify runs as that user, and the same backup is restored by it into a kept database
        const { report, target } = await verify(config("rls", { verificationServer: asVerifier }));
        const list = await listBackups(s3Storage({ client: s3, bucket: BUCKET, kmsKeyId: undefined }), { prefix: PREFIX, database: "rls" });
        const restored = await restoreBackup({
            s3,
            bucket: BUCKET,
            manifest: (list.backups[0] as BackupEntry).manifest,
            target: { ...asVerifier, database: "rls_copy" },
            binDir: pg.binDir,
            noPrivileges: true,
            log: new RecordingLog(),
        });
        // then every row is counted and verify passes
        assert.equal(report.ok, true, JSON.stringify(target.checks, null, 1));
        assert.match(check(target, "rowCounts").detail, /^2 table\(s\), every row count matches/);
        assert.deepEqual(
            restored.tables.map((t) => [t.schema, t.name, t.actual]),
            [["Sécure ds", 'Row "Level".t', 1000], ["public", "plain", 7]],
        );
        // and the restored table keeps its forced row level security
        const flags = await query<{ f: boolean }>(pg.url("rls_copy"), `SELECT relforcerowsecurity AS f FROM pg_class WHERE oid = '${secured.replace(/'/g, "''")}'::regclass`);
        assert.deepEqual(flags, [{ f: true }]);
    });

    /** The verify handler loaded afresh with this environment, as a cold start does (it reads its configuration at load). */
    function loadHandler(env: Record<string, string>): typeof verifyHandler {
        return coldStart<typeof verifyHandler>(require.resolve("../../../../lambdas/verify/handler"), env);
    }

    /** The verify handler's environment. */
    function handlerEnv(): Record<string, string> {
        return {
            BACKUP_BUCKET: BUCKET,
            BACKUP_PREFIX: PREFIX,
            VERIFY_DATABASES: "viahandler",
            VERIFY_MAX_BACKUP_AGE_MINUTES: "60",
            RTO_MINUTES: "30",
            VERIFY_DB_URL: pg.url("postgres"),
            S3_ENDPOINT: s3server.endpoint,
            AWS_ACCESS_KEY_ID: "S3RVER",
            AWS_SECRET_ACCESS_KEY: "S3RVER",
            AWS_REGION: "us-east-1",
            PG_BIN: pg.binDir,
            METRICS_NAMESPACE: "PgBackupStackTest",
        };
    }

    it("handler: reads its environment, throws when a check fails, passes later, and always publishes EMF metrics", async () => {
        // given the handler's environment pointing at the embedded server and bucket, and no backup yet
        const handler = loadHandler(handlerEnv());
        const context = { getRemainingTimeInMillis: () => 300_000 } as unknown as Context;
        const printed: string[] = [];
        const write = process.stdout.write;
        process.stdout.write = ((chunk: string | Uint8Array) => {
            printed.push(String(chunk));
            return true;
        }) as typeof process.stdout.write;
        let first: unknown;
        let second: Awaited<ReturnType<typeof handler>> | undefined;
        try {
            // when it runs before and after a backup exists
            first = await handler({}, context).then(() => undefined, (err: unknown) => err);
            await backup("viahandler", new Date());
            second = await handler({}, context);
        } finally {
            process.stdout.write = write;
            restoreEnv();
        }
        // then the first run throws naming the failed check, the second passes
        assert.ok(first instanceof VerificationFailedError, String(first));
        assert.match(first.message, /verification failed for viahandler: freshness/);
        assert.equal(second?.ok, true);
        // and both runs published EMF documents in the namespace with the Database dimension
        const emf = printed
            .flatMap((text) => text.split("\n"))
            .filter((line) => line.includes('"_aws"'))
            .map((line) => JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] } });
        const values = (name: string) => emf.filter((d) => name in d && d.Database === "viahandler").map((d) => d[name]);
        assert.deepEqual(values("VerificationFailed"), [1, 0]);
        assert.deepEqual(values("VerificationSucceeded"), [0, 1]);
        assert.ok(emf.every((d) => d._aws.CloudWatchMetrics[0]?.Namespace === "PgBackupStackTest"));
        assert.equal(printed.join("").includes("S3RVER"), false);
        // and each run wrote exactly one result line: the failure naming the check, then the success
        assert.deepEqual(resultLines(printed.join("").split("\n")), [
            { kind: "verify", database: "viahandler", outcome: "failed", error: "verification failed for viahandler: freshness" },
            { kind: "verify", database: "viahandler", outcome: "succeeded" },
        ]);
    });

    it("handler: reports a crash during a verification as a failed one: VerificationFailed flushed once, logged, pg_restore stopped", async () => {
        // given a backup, a pg_restore that hangs, and the Lambda runtime's crash listeners in place of the test runner's
        await backup("viahandler", new Date());
        const stubborn = await stubbornPgRestore(pg.binDir);
        const handler = loadHandler({ ...handlerEnv(), PG_BIN: stubborn.binDir });
        try {
            await asLambdaRuntime(async (crashes) => {
                // when a rejection nothing handles happens while pg_restore runs
                const { error, lines } = await captureOutput(async () => {
                    const invocation = handler({}, lambdaContext(300_000));
                    let pids: number[] = [];
                    for (let i = 0; i < 200 && pids.length === 0; i++) {
                        await new Promise((r) => setTimeout(r, 50));
                        pids = await stubborn.pids().catch(() => []);
                    }
                    void Promise.reject(new Error("boom during the restore"));
                    return invocation;
                });
                // then the runtime still sees the crash, and the invocation fails
                assert.equal(crashes.length, 1);
                assert.ok(error instanceof VerificationFailedError, String(error));
                // and VerificationFailed is flushed once, by the crash report, which is logged
                const failedValues = emfDocuments(lines).filter((d) => d.VerificationFailed !== undefined).map((d) => [d.VerificationFailed, d.Database]);
                assert.deepEqual(failedValues, [[1, "viahandler"]]);
                assert.ok(lines.some((l) => l.includes("verification crashed") && l.includes("boom during the restore")));
                // and exactly one result line, written by the crash report, says the run failed with the crash
                assert.deepEqual(resultLines(lines), [{ kind: "verify", database: "viahandler", outcome: "failed", error: "boom during the restore" }]);
                // and pg_restore was stopped and the scratch database dropped
                for (const pid of await stubborn.pids()) {
                    assert.equal(await running(pid), false, `pid ${pid} stopped`);
                }
                assert.deepEqual(await scratchDatabases(), []);
            });
        } finally {
            restoreEnv();
            await stubborn.remove();
        }
    });

    it("checks Azure Flexible Server backups for age through the injected client", async () => {
        // given a client listing one server with a fresh backup and one with only an old one
        const azure: FlexibleServerBackupLister = {
            servers: {
                async get() {
                    return { state: "Ready", backup: { backupRetentionDays: 7, earliestRestoreDate: ago(7 * DAY) } };
                },
            },
            backupsAutomaticAndOnDemand: {
                async *listByServer(_rg: string, server: string) {
                    yield { name: "b1", backupType: "Full", completedTime: ago(server === "fresh-server" ? 2 * HOUR : 3 * DAY) };
                    yield { name: "b0", backupType: "Full", completedTime: ago(4 * DAY) };
                },
            },
        };
        const cfg = config("unused", {
            databases: [],
            azureServers: [
                { name: "fresh", resourceGroup: "rg", serverName: "fresh-server" },
                { name: "old", resourceGroup: "rg", serverName: "old-server" },
            ],
        });
        // when verify runs
        const { report, metrics } = await verify(cfg, { azure });
        // then the fresh one passes, the old one fails, each with its age
        assert.deepEqual(report.targets.map((t) => [t.name, t.ok]), [["fresh", true], ["old", false]]);
        assert.deepEqual(metrics.named("BackupAgeSeconds").map((m) => [m.dimensions.Database, Math.round(m.value / HOUR)]), [["fresh", 2], ["old", 72]]);
    });
});
