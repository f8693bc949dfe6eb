import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { listBackups, selectBackup } from "../../../../lambdas/shared/catalog";
import { parsePostgresUrl } from "../../../../lambdas/shared/pgTarget";
import type { Log } from "../../../../lambdas/shared/ports";
import { restoreBackup } from "../../../../lambdas/shared/restore";
import { describeCounts } from "../../../../lambdas/shared/restoreTarget";
import { type RestoreOptions } from "../../../../lambdas/shared/restoreOptions";
import { ArchiveHeaderError, ChecksumMismatchError, PgRestoreFailedError, RestoreAbortedError, TargetBusyError, TargetExistsError, VersionMismatchError } from "../../../../lambdas/shared/restoreErrors";
import { main as restoreMain } from "../../../../cli/restore";
import { main as listMain } from "../../../../cli/list";
import { createDatabase, loadSampleData, query, startPostgres, startS3, type EmbeddedPostgres, type EmbeddedS3 } from "../../../helpers/embedded";
import { contentChecksums, putFixtureBackup, rewriteObject, type FixtureBackup } from "../../backupFixture";
import { runCli } from "../../../helpers/cli";
import { running, stubbornPgRestore } from "../../../helpers/stubbornTool";
import { s3Storage } from "../../../../lambdas/shared/storage/s3";

const BUCKET = "restore-tests";
const PREFIX = "backups";
const DATABASE = "shop";

interface LogLine {
    readonly level: string;
    readonly message: string;
    readonly extra?: Record<string, unknown>;
}

function recordingLog(lines: LogLine[]): Log {
    const at = (level: string) => (message: string, extra?: Record<string, unknown>) => {
        lines.push({ level, message, ...(extra === undefined ? {} : { extra }) });
    };
    return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

describe("restore (real PostgreSQL and s3rver)", function () {
    this.timeout(120_000);
    let pg: EmbeddedPostgres;
    let s3server: EmbeddedS3;
    let s3: S3Client;
    let backup: FixtureBackup;
    let tempParent: string;
    const savedEnv = { ...process.env };

    before(async () => {
        pg = await startPostgres();
        s3server = await startS3();
        s3 = s3server.client();
        await s3server.createBucket(BUCKET);
        await createDatabase(pg.url(), "source");
        await loadSampleData(pg.url("source"), { scale: 0.05 });
        backup = await putFixtureBackup({ s3, bucket: BUCKET, prefix: PREFIX, database: DATABASE, sourceUrl: pg.url("source"), binDir: pg.binDir });
        tempParent = await mkdtemp(join(tmpdir(), "restore-test-"));
        process.env.AWS_ACCESS_KEY_ID = "S3RVER";
        process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
    });

    after(async () => {
        process.env = savedEnv;
        s3?.destroy();
        await s3server?.stop();
        await pg?.stop();
        if (tempParent !== undefined) {
            await rm(tempParent, { recursive: true, force: true });
        }
    });

    function options(targetDb: string, lines: LogLine[], extra: Partial<RestoreOptions> = {}): RestoreOptions {
        return {
            s3,
            bucket: BUCKET,
            manifest: backup.manifest,
            target: parsePostgresUrl(pg.url(targetDb), "target"),
            binDir: pg.binDir,
            tempDir: tempParent,
            jobs: 2,
            log: recordingLog(lines),
            ...extra,
        };
    }

    async function databaseExists(name: string): Promise<boolean> {
        return (await query(pg.url(), "SELECT 1 FROM pg_database WHERE datname = $1", [name])).length > 0;
    }

    it("restores into a new database whose every table equals the source", async () => {
        // given a backup of the sample database and no database "copy1"
        const lines: LogLine[] = [];
        // when it is restored with two parallel jobs
        const result = await restoreBackup(options("copy1", lines));
        // then row counts match the manifest, contents equal the source, and the temp dir is empty again
        assert.equal(result.rowCountsMatch, true);
        assert.equal(result.replaced, false);
        assert.equal(result.sha256, backup.manifest.sha256);
        assert.ok(result.tables.length >= 10, `expected the sample's tables, got ${result.tables.length}`);
        assert.deepEqual(await contentChecksums(pg.url("copy1")), await contentChecksums(pg.url("source")));
        assert.deepEqual(await readdir(tempParent), []);
        assert.ok(result.totalSeconds >= result.pgRestoreSeconds && result.pgRestoreSeconds > 0);
    });

    it("refuses an existing database without overwrite and leaves it untouched", async () => {
        // given a database holding a marker table
        await createDatabase(pg.url(), "existing");
        await query(pg.url("existing"), "CREATE TABLE marker (id int); INSERT INTO marker VALUES (42)");
        // when a restore targets it without overwrite
        const lines: LogLine[] = [];
        await assert.rejects(restoreBackup(options("existing", lines)), (err: unknown) => err instanceof TargetExistsError && /--overwrite/.test(err.message));
        // then the marker is still there and nothing was downloaded
        assert.deepEqual(await query(pg.url("existing"), "SELECT id FROM marker"), [{ id: 42 }]);
        assert.equal(lines.filter((l) => l.message.includes("downloaded")).length, 0);
    });

    it("with overwrite replaces the existing database with the restored copy, and says so", async () => {
        // given a database holding a marker table
        await createDatabase(pg.url(), "replaced");
        await query(pg.url("replaced"), "CREATE TABLE marker (id int)");
        // when a restore targets it with overwrite
        const lines: LogLine[] = [];
        const result = await restoreBackup(options("replaced", lines, { overwrite: true }));
        // then the marker is gone, the data is the backup's, a warning was logged, and no copy is left under another name
        assert.equal(result.replaced, true);
        assert.equal(result.database, "replaced");
        assert.equal(result.rowCountsMatch, true);
        assert.deepEqual(await query(pg.url("replaced"), "SELECT to_regclass('public.marker') AS t"), [{ t: null }]);
        assert.deepEqual(await contentChecksums(pg.url("replaced")), await contentChecksums(pg.url("source")));
        assert.ok(lines.some((l) => l.level === "warn" && /replacing the existing database/.test(l.message)));
        assert.deepEqual(await restoringCopies(), []);
    });

    async function restoringCopies(): Promise<unknown[]> {
        return query(pg.url(), "SELECT datname FROM pg_database WHERE datname LIKE '%\\_restoring\\_%'");
    }

    it("with overwrite, a pg_restore that fails leaves the existing database as it was and no copy behind", async () => {
        // given a backup whose table belongs to a role the server no longer has, restored with ownership
        await query(pg.url(), "CREATE ROLE ghost");
        await createDatabase(pg.url(), "ghostly");
        await query(pg.url("ghostly"), "CREATE TABLE haunted (id int); ALTER TABLE haunted OWNER TO ghost");
        const ghostly = await putFixtureBackup({ s3, bucket: BUCKET, prefix: PREFIX, database: "ghostly", sourceUrl: pg.url("ghostly"), binDir: pg.binDir });
        await query(pg.url(), "DROP DATABASE ghostly");
        await query(pg.url(), "DROP ROLE ghost");
        await createDatabase(pg.url(), "kept_on_failure");
        await query(pg.url("kept_on_failure"), "CREATE TABLE marker (id int); INSERT INTO marker VALUES (7)");
        // when it overwrites an existing database
        await assert.rejects(
            restoreBackup(options("kept_on_failure", [], { manifest: ghostly.manifest, overwrite: true, noOwner: false })),
            (err: unknown) => err instanceof PgRestoreFailedError && /role "ghost" does not exist/.test(err.message) && /the existing database "kept_on_failure" was left as it was/.test(err.message),
        );
        // then the existing database still holds its data, and the half-restored copy is gone
        assert.deepEqual(await query(pg.url("kept_on_failure"), "SELECT id FROM marker"), [{ id: 7 }]);
        assert.deepEqual(await restoringCopies(), []);
    });

    it("with overwrite, stopped once the copy is restored, leaves the existing database as it was and drops the copy", async () => {
        // given an existing database, and a restore over it that is stopped as soon as pg_restore has finished
        await createDatabase(pg.url(), "kept_on_abort");
        await query(pg.url("kept_on_abort"), "CREATE TABLE marker (id int); INSERT INTO marker VALUES (9)");
        const controller = new AbortController();
        const lines: LogLine[] = [];
        const log = recordingLog(lines);
        const stopping: Log = { ...log, info: (message, extra) => (message === "pg_restore finished" ? controller.abort() : log.info(message, extra)) };
        // when it runs
        await assert.rejects(
            restoreBackup({ ...options("kept_on_abort", lines, { overwrite: true, signal: controller.signal }), log: stopping }),
            (err: unknown) => err instanceof RestoreAbortedError && /"kept_on_abort": it was left as it was, and the restored copy dropped/.test(err.message),
        );
        // then the existing database is untouched and no copy is left
        assert.deepEqual(await query(pg.url("kept_on_abort"), "SELECT id FROM marker"), [{ id: 9 }]);
        assert.deepEqual(await restoringCopies(), []);
    });

    it("refuses a second restore into a name while one runs, changing nothing", async () => {
        // given a restore into "busy" held inside pg_restore
        const stubborn = await stubbornPgRestore(pg.binDir);
        const controller = new AbortController();
        const lines: LogLine[] = [];
        try {
            const first = restoreBackup(options("busy", lines, { binDir: stubborn.binDir, signal: controller.signal }));
            const settled = first.then(() => undefined, (err: unknown) => err);
            while (!lines.some((l) => /running pg_restore/.test(l.message))) {
                await new Promise((r) => setTimeout(r, 50));
            }
            // when a second restore targets the same name, even with overwrite
            await assert.rejects(restoreBackup(options("busy", [], { overwrite: true })), (err: unknown) => err instanceof TargetBusyError && /another restore into "busy"/.test(err.message));
            // then the first one's database is untouched by it, and the first ends as it would have
            controller.abort();
            assert.ok((await settled) instanceof PgRestoreFailedError);
            assert.equal(await databaseExists("busy"), false);
        } finally {
            await stubborn.removeAndKill();
        }
    });

    it("with overwrite, a row count that differs keeps the existing database, and the restored copy under its own name", async () => {
        // given a backup whose manifest counts one row more in a table than the archive holds
        const off = await putFixtureBackup({
            s3, bucket: BUCKET, prefix: PREFIX, database: "off", sourceUrl: pg.url("source"), binDir: pg.binDir,
            editManifest: (m) => ({ ...m, tables: m.tables.map((t, i) => (i === 0 ? { ...t, rows: t.rows + 1 } : t)) }),
        });
        await createDatabase(pg.url(), "kept_on_mismatch");
        await query(pg.url("kept_on_mismatch"), "CREATE TABLE marker (id int); INSERT INTO marker VALUES (8)");
        // when it overwrites an existing database
        const result = await restoreBackup(options("kept_on_mismatch", [], { manifest: off.manifest, overwrite: true }));
        // then nothing was replaced: the existing database is as it was, the copy is kept for inspection
        assert.equal(result.rowCountsMatch, false);
        assert.equal(result.replaced, false);
        assert.match(result.database, /^kept_on_mismatch_restoring_[0-9a-f]{8}$/);
        assert.deepEqual(await query(pg.url("kept_on_mismatch"), "SELECT id FROM marker"), [{ id: 8 }]);
        assert.deepEqual(await restoringCopies(), [{ datname: result.database }]);
        await query(pg.url(), `DROP DATABASE ${result.database}`);
    });

    it("rejects an object corrupted by one byte before creating anything", async () => {
        // given a second backup whose stored object has one byte flipped after the manifest was written
        const corrupt = await putFixtureBackup({ s3, bucket: BUCKET, prefix: PREFIX, database: "corrupt", sourceUrl: pg.url("source"), binDir: pg.binDir });
        await rewriteObject(s3, BUCKET, corrupt.manifest.key, (b) => {
            const copy = Buffer.from(b);
            const at = Math.floor(copy.length / 2);
            copy[at] = (copy[at] ?? 0) ^ 0x01;
            return copy;
        });
        // when it is restored
        const lines: LogLine[] = [];
        await assert.rejects(restoreBackup(options("from_corrupt", lines, { manifest: corrupt.manifest })), (err: unknown) => err instanceof ChecksumMismatchError && /sha256/.test(err.message));
        // then no database was created and no temp file is left
        assert.equal(await databaseExists("from_corrupt"), false);
        assert.deepEqual(await readdir(tempParent), []);
    });

    it("rejects a truncated object, naming both sizes", async () => {
        // given a backup whose stored object lost its second half
        const truncated = await putFixtureBackup({ s3, bucket: BUCKET, prefix: PREFIX, database: "truncated", sourceUrl: pg.url("source"), binDir: pg.binDir });
        await rewriteObject(s3, BUCKET, truncated.manifest.key, (b) => b.subarray(0, Math.floor(b.length / 2)));
        // when it is restored
        const lines: LogLine[] = [];
        const half = Math.floor(truncated.archive.length / 2);
        await assert.rejects(
            restoreBackup(options("from_truncated", lines, { manifest: truncated.manifest })),
            (err: unknown) => err instanceof ChecksumMismatchError && err.message.includes(`size ${half} bytes, manifest says ${truncated.archive.length}`),
        );
        // then nothing was created
        assert.equal(await databaseExists("from_truncated"), false);
    });

    it("rejects an object that is not a pg_dump archive even when the manifest matches it", async () => {
        // given an object of plain text whose manifest describes exactly that text
        const notArchive = await putFixtureBackup({
            s3, bucket: BUCKET, prefix: PREFIX, database: "plain", sourceUrl: pg.url("source"), binDir: pg.binDir,
            editArchive: () => Buffer.from("-- PostgreSQL database dump\nSELECT 1;\n"),
        });
        // when it is restored, then the header check refuses it
        await assert.rejects(restoreBackup(options("from_plain", [], { manifest: notArchive.manifest })), ArchiveHeaderError);
        assert.equal(await databaseExists("from_plain"), false);
    });

    it("fails cleanly when pg_restore finds the archive damaged, and drops the half-restored database", async () => {
        // given an archive with a valid header whose body is damaged, described by a matching manifest
        const damaged = await putFixtureBackup({
            s3, bucket: BUCKET, prefix: PREFIX, database: "damaged", sourceUrl: pg.url("source"), binDir: pg.binDir,
            editArchive: (b) => Buffer.concat([b.subarray(0, 4096), Buffer.alloc(b.length - 4096, 0x5a)]),
        });
        // when it is restored
        const lines: LogLine[] = [];
        await assert.rejects(restoreBackup(options("from_damaged", lines, { manifest: damaged.manifest })), (err: unknown) => err instanceof PgRestoreFailedError && /pg_restore failed/.test(err.message));
        // then the database it created is gone again and the temp dir is empty
        assert.equal(await databaseExists("from_damaged"), false);
        assert.deepEqual(await readdir(tempParent), []);
    });

    it("counts the restored large objects against the manifest's, and reports a difference as a failed count", async () => {
        // given a database with three large objects, and its backup
        await createDatabase(pg.url(), "with_blobs");
        await query(pg.url("with_blobs"), "CREATE TABLE t (id int); SELECT lo_from_bytea(0, convert_to(repeat('x', g), 'UTF8')) FROM generate_series(1, 3) g");
        const withBlobs = await putFixtureBackup({ s3, bucket: BUCKET, prefix: PREFIX, database: "with_blobs", sourceUrl: pg.url("with_blobs"), binDir: pg.binDir });
        // when it is restored against a manifest that counts them
        const good = await restoreBackup(options("blobs_good", [], { manifest: { ...withBlobs.manifest, largeObjects: 3 } }));
        // then they match
        assert.deepEqual([good.rowCountsMatch, good.largeObjects], [true, { expected: 3, actual: 3, ok: true }]);
        // and against a manifest that counts one more (a large object the dump lost), the counts fail, saying so
        const short = await restoreBackup(options("blobs_short", [], { manifest: { ...withBlobs.manifest, largeObjects: 4 } }));
        assert.deepEqual([short.rowCountsMatch, short.largeObjects], [false, { expected: 4, actual: 3, ok: false }]);
        assert.match(describeCounts(short.tables, short.largeObjects), /1 table\(s\), every row count matches the manifest; large objects differ: restored 3, manifest 4/);
        // and a manifest written before large objects were counted checks none
        assert.equal((await restoreBackup(options("blobs_old", [], { manifest: withBlobs.manifest }))).largeObjects, undefined);
    });

    it("names the table and line a failed COPY stopped at, never the row's data, in the error and the log", async () => {
        // given a table whose CHECK calls a function that reads another table by an unqualified
        // name: pg_restore's empty search_path makes every row fail, and the server quotes the row
        await createDatabase(pg.url(), "leaky");
        await query(pg.url("leaky"), [
            "CREATE TABLE banned (x text); INSERT INTO banned VALUES ('nope')",
            "CREATE FUNCTION ok_token(t text) RETURNS bool LANGUAGE sql AS 'SELECT NOT EXISTS (SELECT 1 FROM banned WHERE x = t)'",
            "CREATE TABLE api_keys (id int, secret text CHECK (ok_token(secret)))",
            "INSERT INTO api_keys VALUES (1, 'sk_live_TOPSECRET_123456')",
        ].join("; "));
        const leaky = await putFixtureBackup({ s3, bucket: BUCKET, prefix: PREFIX, database: "leaky", sourceUrl: pg.url("leaky"), binDir: pg.binDir });
        // when it is restored
        const lines: LogLine[] = [];
        const failure = await restoreBackup(options("from_leaky", lines, { manifest: leaky.manifest })).then(() => undefined, (err: unknown) => err);
        // then pg_restore's failure names the table and the line, and the row's data is nowhere
        assert.ok(failure instanceof PgRestoreFailedError, String(failure));
        assert.match(failure.message, /COPY api_keys, line 1: \(row data withheld\)/);
        assert.ok(!`${failure.message} ${failure.stderrTail} ${JSON.stringify(lines)}`.includes("TOPSECRET"), failure.message);
    });

    it("kills a pg_restore that ignores SIGTERM after the grace period, and drops the database it created", async () => {
        // given a pg_restore that ignores SIGTERM and hangs, with a worker of its own
        const stubborn = await stubbornPgRestore(pg.binDir);
        try {
            // when a restore with a 300 ms limit runs it
            const started = performance.now();
            await assert.rejects(
                restoreBackup(options("from_stubborn", [], { binDir: stubborn.binDir, timeoutMs: 300 })),
                (err: unknown) => err instanceof PgRestoreFailedError && /timed out after 300 ms/.test(err.message),
            );
            const seconds = (performance.now() - started) / 1000;
            // then it ends within the limit plus the 5 s grace (and some slack), the tool and its worker are gone, and so is the database
            assert.ok(seconds < 10, `took ${seconds.toFixed(1)} s`);
            for (const pid of await stubborn.pids()) {
                assert.equal(await running(pid), false, `process ${pid} still runs`);
            }
            assert.equal(await databaseExists("from_stubborn"), false);
            assert.deepEqual(await readdir(tempParent), []);
        } finally {
            for (const pid of await stubborn.pids().catch(() => [])) {
                if (await running(pid)) {
                    process.kill(pid, "SIGKILL");
                }
            }
            await stubborn.remove();
        }
    });

    it("refuses a pg_restore older than the archive's pg_dump before downloading", async () => {
        // given a manifest saying the dump was taken with pg_dump 99
        const lines: LogLine[] = [];
        const manifest = { ...backup.manifest, pgDumpVersion: "pg_dump (PostgreSQL) 99.1" };
        // when it is restored
        await assert.rejects(restoreBackup(options("from_future_dump", lines, { manifest })), (err: unknown) => err instanceof VersionMismatchError && /major version must be 99 or newer/.test(err.message));
        // then nothing was downloaded or created
        assert.equal(lines.length, 0);
        assert.equal(await databaseExists("from_future_dump"), false);
    });

    it("refuses a target server older than the backup's source server", async () => {
        // given a manifest saying the source server was PostgreSQL 99
        const manifest = { ...backup.manifest, serverVersion: "99.0", serverVersionNum: 990000 };
        // when it is restored, then the version check names the server and the needed version
        await assert.rejects(restoreBackup(options("from_future_server", [], { manifest })), (err: unknown) => err instanceof VersionMismatchError && /restore into PostgreSQL 99 or newer/.test(err.message));
        assert.equal(await databaseExists("from_future_server"), false);
    });

    it("reports a table whose restored row count differs from the manifest", async () => {
        // given a manifest that claims one more row in sales.orders than the dump holds
        const manifest = { ...backup.manifest, tables: backup.manifest.tables.map((t) => (t.schema === "sales" && t.name === "orders" ? { ...t, rows: t.rows + 1 } : t)) };
        // when it is restored
        const result = await restoreBackup(options("count_mismatch", [], { manifest }));
        // then exactly that table is flagged
        assert.equal(result.rowCountsMatch, false);
        assert.deepEqual(
            result.tables.filter((t) => !t.ok).map((t) => [t.schema, t.name, t.expected - (t.actual ?? 0)]),
            [["sales", "orders", 1]],
        );
    });

    it("CLI list shows the backups newest first from manifests only", async () => {
        // given two backups of one database and a dump object without a manifest
        const older = await putFixtureBackup({ s3, bucket: BUCKET, prefix: PREFIX, database: "listed", sourceUrl: pg.url("source"), binDir: pg.binDir, at: new Date("2026-01-01T00:00:00Z") });
        const newer = await putFixtureBackup({ s3, bucket: BUCKET, prefix: PREFIX, database: "listed", sourceUrl: pg.url("source"), binDir: pg.binDir, at: new Date("2026-01-02T00:00:00Z"), tier: "weekly" });
        const orphan = await putFixtureBackup({ s3, bucket: BUCKET, prefix: PREFIX, database: "listed", sourceUrl: pg.url("source"), binDir: pg.binDir, at: new Date("2026-01-03T00:00:00Z"), withoutManifest: true });
        // when list runs with --json and as a table
        const json = await runCli(listMain, ["--bucket", BUCKET, "--database", "listed", "--s3-endpoint", s3server.endpoint, "--json"]);
        const table = await runCli(listMain, ["--bucket", BUCKET, "--database", "listed", "--s3-endpoint", s3server.endpoint]);
        // then both backups are listed newest first and the orphan only as a note
        assert.equal(json.code, 0, json.err);
        const parsed = JSON.parse(json.out) as { backups: { key: string; tier: string }[]; withoutManifest: string[] };
        assert.deepEqual(parsed.backups.map((b) => [b.key, b.tier]), [[newer.manifest.key, "weekly"], [older.manifest.key, "daily"]]);
        assert.deepEqual(parsed.withoutManifest, [orphan.manifest.key]);
        assert.equal(table.code, 0);
        assert.ok(table.out.indexOf(newer.manifest.key) < table.out.indexOf(older.manifest.key));
        assert.ok(!table.out.includes(orphan.manifest.key));
        assert.ok(table.err.includes(`${orphan.manifest.key} has no manifest`));
    });

    it("CLI restore --latest restores into a new database, refuses it the second time, and replaces it with --overwrite", async () => {
        // given the backups of "shop"
        const args = ["--bucket", BUCKET, "--database", DATABASE, "--latest", "--target-url", pg.url("cli_copy"), "--s3-endpoint", s3server.endpoint, "--jobs", "2", "--temp-dir", tempParent];
        // when restore runs twice without --overwrite and once with it
        const first = await runCli(restoreMain, args);
        const second = await runCli(restoreMain, args);
        const third = await runCli(restoreMain, [...args, "--overwrite", "--json"]);
        // then the first succeeds with every table matching, the second refuses, the third replaces
        assert.equal(first.code, 0, first.err);
        assert.match(first.out, /created database cli_copy/);
        assert.match(first.out, /all \d+ table\(s\) match the manifest/);
        assert.equal(second.code, 1);
        assert.match(second.err, /already exists .* refusing to overwrite it \(pass --overwrite/);
        assert.equal(third.code, 0, third.err);
        const last = JSON.parse(third.out.trim().split("\n").pop() ?? "{}") as { ok: boolean; replaced: boolean; key: string };
        assert.deepEqual([last.ok, last.replaced, last.key], [true, true, backup.manifest.key]);
        assert.equal(first.out.includes("S3RVER") || first.err.includes("S3RVER"), false);
    });

    it("CLI restore --before picks the newest backup started at or before the time", async () => {
        // given the two listed backups of "listed" (2026-01-01 and 2026-01-02)
        const catalog = await listBackups(s3Storage({ client: s3, bucket: BUCKET, kmsKeyId: undefined }), { prefix: PREFIX, database: "listed" });
        const expected = selectBackup(catalog, { before: new Date("2026-01-01T12:00:00Z") });
        // when restore runs with --before between them
        const res = await runCli(restoreMain, ["--bucket", BUCKET, "--database", "listed", "--before", "2026-01-01T12:00:00Z", "--target-url", pg.url("before_copy"), "--s3-endpoint", s3server.endpoint, "--json"]);
        // then the older one was restored
        assert.equal(res.code, 0, res.err);
        const last = JSON.parse(res.out.trim().split("\n").pop() ?? "{}") as { key: string };
        assert.equal(last.key, expected.manifest.key);
        assert.equal(expected.manifest.startedAt, "2026-01-01T00:00:00.000Z");
    });

    it("CLI restore rejects bad arguments with exit code 2, naming the argument and value", async () => {
        // when restore gets two selectors, or an out-of-range --jobs
        const both = await runCli(restoreMain, ["--bucket", BUCKET, "--database", DATABASE, "--latest", "--key", "k", "--target-url", pg.url("x")]);
        const jobs = await runCli(restoreMain, ["--bucket", BUCKET, "--database", DATABASE, "--latest", "--jobs", "0", "--target-url", pg.url("x")]);
        // then both exit 2 with a message naming what was wrong
        assert.equal(both.code, 2);
        assert.match(both.err, /--key, --latest: given together; expected exactly one of --key, --latest, --before/);
        assert.equal(jobs.code, 2);
        assert.match(jobs.err, /--jobs: "0" is not allowed; expected an integer 1\.\.64/);
    });
});
