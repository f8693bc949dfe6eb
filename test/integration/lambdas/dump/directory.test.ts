import { strict as assert } from "node:assert";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { runDump } from "../../../../lambdas/dump/dump";
import { dumpSettings, type DumpSettingsInput } from "../../../../lambdas/dump/settings";
import { DumpUploadError, PgDumpFailedError } from "../../../../lambdas/dump/errors";
import { listBackups } from "../../../../lambdas/shared/catalog";
import { manifestKey } from "../../../../lambdas/shared/keys";
import { filesDigest, type BackupManifest } from "../../../../lambdas/shared/manifest";
import { parsePostgresUrl } from "../../../../lambdas/shared/pgTarget";
import { restoreBackup } from "../../../../lambdas/shared/restore";
import { type RestoreOptions } from "../../../../lambdas/shared/restoreOptions";
import { BackupFileMissingError, ChecksumMismatchError } from "../../../../lambdas/shared/restoreErrors";
import { runVerify, type VerifyConfig } from "../../../../lambdas/verify/verify";
import { createDatabase, loadSampleData, query, startFaultyProxy, startPostgres, startS3, type EmbeddedPostgres, type EmbeddedS3, type FaultyProxy } from "../../../helpers/embedded";
import { getBytes, getTags, listKeys, RecordingLog, RecordingMetrics, sha256Hex } from "../../../helpers/recorders";
import { main as listMain } from "../../../../cli/list";
import { main as restoreMain } from "../../../../cli/restore";
import { runCli } from "../../../helpers/cli";
import { contentChecksums, rewriteObject } from "../../backupFixture";
import { hourlyVerifyConfig } from "../../../helpers/verifyConfig";
import { s3Storage } from "../../../../lambdas/shared/storage/s3";

const BUCKET = "dump-directory-bucket";
const MiB = 1024 * 1024;

describe("directory-format dump (real PostgreSQL, s3rver)", function () {
    this.timeout(120_000);

    let pg: EmbeddedPostgres;
    let s3: EmbeddedS3;
    let proxy: FaultyProxy;
    let temp: string;
    let counter = 0;

    before(async function () {
        this.timeout(180_000);
        [pg, s3] = await Promise.all([startPostgres(), startS3()]);
        proxy = await startFaultyProxy(s3.endpoint);
        await s3.createBucket(BUCKET);
        await createDatabase(pg.url(), "app");
        await loadSampleData(pg.url("app"), { scale: 0.1 });
        temp = await mkdtemp(join(tmpdir(), "pgbs-dir-test-"));
    });

    after(async () => {
        await proxy?.stop();
        await s3?.stop();
        await pg?.stop();
        if (temp !== undefined) {
            await rm(temp, { recursive: true, force: true });
        }
    });

    function settings(database: string, over: Partial<DumpSettingsInput> = {}): ReturnType<typeof dumpSettings> {
        counter++;
        return dumpSettings({
            database,
            bucket: BUCKET,
            prefix: `d${counter}/backups`,
            pgDumpPath: join(pg.binDir, "pg_dump"),
            kmsKeyId: "alias/pg-backup-test",
            format: "directory",
            jobs: 3,
            tempDir: temp,
            partSizeBytes: 5 * MiB,
            expectedMaxBytes: 10 * 1024 * MiB,
            ...over,
        });
    }

    async function dump(database: string, source: string, over: Partial<DumpSettingsInput> = {}): Promise<{ manifest: BackupManifest; prefix: string; log: RecordingLog }> {
        const s = settings(database, over);
        const log = new RecordingLog();
        const manifest = await runDump(s, {
            s3: s3.client({ endpoint: proxy.endpoint }),
            target: parsePostgresUrl(pg.url(source), "test url"),
            log,
            metrics: new RecordingMetrics(),
            now: () => new Date("2026-03-10T02:00:00.000Z"),
        });
        return { manifest, prefix: s.prefix, log };
    }

    function restoreOptions(manifest: BackupManifest, targetDb: string): RestoreOptions {
        return {
            s3: s3.client(),
            bucket: BUCKET,
            manifest,
            target: parsePostgresUrl(pg.url(targetDb), "target"),
            binDir: pg.binDir,
            tempDir: temp,
            jobs: 3,
            log: new RecordingLog(),
        };
    }

    function verifyConfig(prefix: string, database: string): VerifyConfig {
        return { ...hourlyVerifyConfig(pg, BUCKET, prefix, database), tempDir: temp };
    }

    async function databaseExists(name: string): Promise<boolean> {
        return (await query(pg.url(), "SELECT 1 FROM pg_database WHERE datname = $1", [name])).length > 0;
    }

    it("dumps in parallel into one object per file, then verifies and restores to the source's exact contents", async () => {
        // given the sample database
        const before = proxy.requests.length;
        // when a directory-format dump runs with three jobs
        const { manifest, prefix } = await dump("app", "app");
        // then the manifest lists every stored file with its size and SHA-256, and is written last
        assert.equal(manifest.format, "directory");
        const files = manifest.files ?? [];
        assert.ok(files.some((f) => f.name === "toc.dat"));
        assert.ok(files.filter((f) => /^\d+\.dat\.gz$/.test(f.name)).length >= 10, `expected a data file per table, got ${files.map((f) => f.name).join(", ")}`);
        assert.deepEqual(await listKeys(s3.client(), BUCKET, prefix), [...files.map((f) => f.key), manifestKey(manifest.key)].sort());
        for (const f of files) {
            const body = await getBytes(s3.client(), BUCKET, f.key);
            assert.equal(body.length, f.sizeBytes, f.name);
            assert.equal(sha256Hex(body), f.sha256, f.name);
            assert.deepEqual(await getTags(s3.client(), BUCKET, f.key), { tier: "daily" });
        }
        assert.equal(manifest.sizeBytes, files.reduce((s, f) => s + f.sizeBytes, 0));
        assert.equal(manifest.sha256, filesDigest(files));
        const creations = proxy.requests.slice(before).filter((r) => (r.method === "POST" && r.query.has("uploads")) || (r.method === "PUT" && !r.query.has("partNumber") && !r.query.has("tagging")));
        assert.equal(creations.length, files.length + 1);
        assert.ok(creations.at(-1)?.path.endsWith(".manifest.json"), "the manifest is the last object written");
        for (const w of creations) {
            assert.equal(w.headers["x-amz-server-side-encryption"], "aws:kms");
            assert.equal(w.headers["x-amz-tagging"], "tier=daily");
        }
        // and the catalog takes it as a backup, verify passes every check, covering every file
        const catalog = await listBackups(s3Storage({ client: s3.client(), bucket: BUCKET, kmsKeyId: undefined }), { prefix, database: "app" });
        assert.equal(catalog.backups[0]?.manifest.key, manifest.key);
        assert.equal(catalog.backups[0]?.objectSizeBytes, manifest.sizeBytes);
        assert.deepEqual(catalog.problems, []);
        assert.deepEqual(catalog.withoutManifest, []);
        const report = await runVerify(verifyConfig(prefix, "app"), { s3: s3.client(), log: new RecordingLog(), metrics: new RecordingMetrics(), now: () => new Date("2026-03-10T02:10:00.000Z") });
        const checks = report.targets[0]?.checks ?? [];
        assert.equal(report.ok, true, JSON.stringify(checks, null, 1));
        assert.match(checks.find((c) => c.name === "checksum")?.detail ?? "", new RegExp(`all ${files.length} files`));
        // and a restore with parallel jobs equals the source
        const result = await restoreBackup(restoreOptions(manifest, "dir_copy"));
        assert.equal(result.rowCountsMatch, true);
        assert.deepEqual(await contentChecksums(pg.url("dir_copy")), await contentChecksums(pg.url("app")));
        assert.deepEqual(await readdir(temp), [], "no temporary dump or download left behind");
    });

    it("uploads the files while pg_dump still runs, and restores to the source's exact contents", async () => {
        // given a small table and a big one, each dumped by its own worker
        await createDatabase(pg.url(), "uneven");
        await query(
            pg.url("uneven"),
            "CREATE TABLE small_one AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 50000) g; " +
                "CREATE TABLE big_one AS SELECT g AS id, md5(g::text) AS v, md5((g + 1)::text) AS w FROM generate_series(1, 700000) g",
        );
        await query(pg.url("uneven"), "VACUUM ANALYZE");
        // when a directory-format dump runs with two workers
        const { manifest, log } = await dump("uneven", "uneven", { jobs: 2 });
        // then the files were handed to the upload while pg_dump was still running, never toc.dat
        const early = log.entries.filter((e) => e.message === "uploading a file pg_dump writes").map((e) => String(e.extra.file));
        assert.ok(early.length > 0, log.text());
        assert.ok(!early.includes("toc.dat"));
        // and the small table's file was known to be complete (its upload could end, and the file leave local disk)
        // before pg_dump was done with the big one
        const finished = log.entries.findIndex((e) => e.message === "pg_dump finished; uploading its remaining files");
        assert.ok(log.entries.slice(0, finished).some((e) => e.message === "pg_dump closed a file"), log.text());
        // and the backup restores to the source's exact contents
        const result = await restoreBackup(restoreOptions(manifest, "uneven_copy"));
        assert.equal(result.rowCountsMatch, true);
        assert.deepEqual(await contentChecksums(pg.url("uneven_copy")), await contentChecksums(pg.url("uneven")));
    });

    it("waits for pg_dump's exit before ending the upload of a file it was never seen writing (pg_dump in a session of its own)", async () => {
        // given a table and large objects of several MB, and a pg_dump started by a wrapper in a
        // session (and process group) of its own, as sudo with use_pty does, paused for 2 s once
        // its first data file exists: its files are open, but by no process of the group the dump watches
        await createDatabase(pg.url(), "own_session");
        await query(
            pg.url("own_session"),
            "CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 300000) g; " +
                "SELECT lo_from_bytea(0, decode(repeat(md5(g::text), 400000), 'hex')) FROM generate_series(1, 4) g",
        );
        const wrapper = join(temp, "pg_dump-own-session.sh");
        await writeFile(wrapper, [
            "#!/bin/bash",
            'for a in "$@"; do case "$a" in --file=*) dir="${a#--file=}";; esac; done',
            `setsid ${JSON.stringify(join(pg.binDir, "pg_dump"))} "$@" &`,
            "pid=$!",
            'until compgen -G "$dir/*.dat*" > /dev/null || ! kill -0 "$pid" 2> /dev/null; do sleep 0.01; done',
            'pkill -STOP -s "$pid"; sleep 2; pkill -CONT -s "$pid"',
            'wait "$pid"',
        ].join("\n"), { mode: 0o755 });
        try {
            for (const compression of [{ method: "none", level: 0 }, { method: "gzip", level: 1 }] as const) {
                // when a directory-format dump runs through it
                const { manifest } = await dump("own_session", "own_session", { jobs: 2, pgDumpPath: wrapper, compression });
                // then every file is stored whole: the backup restores to the source's exact contents, large objects included
                const copy = `own_session_copy_${compression.method}`;
                const result = await restoreBackup(restoreOptions(manifest, copy));
                assert.equal(result.rowCountsMatch, true);
                assert.deepEqual([manifest.largeObjects, result.largeObjects], [4, { expected: 4, actual: 4, ok: true }]);
                assert.deepEqual(await contentChecksums(pg.url(copy)), await contentChecksums(pg.url("own_session")), compression.method);
            }
        } finally {
            await rm(wrapper, { force: true });
        }
    });

    it("CLI list and restore --latest take a directory backup like any other", async () => {
        // given a directory backup of the sample database
        const { manifest, prefix } = await dump("app", "app");
        assert.equal(manifest.format, "directory");
        const saved = { ...process.env };
        process.env.AWS_ACCESS_KEY_ID = "S3RVER";
        process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
        try {
            // when it is listed and restored with the CLI
            const listed = await runCli(listMain, ["--bucket", BUCKET, "--prefix", prefix, "--database", "app", "--s3-endpoint", s3.endpoint, "--json"]);
            const restored = await runCli(restoreMain, [
                "--bucket", BUCKET, "--prefix", prefix, "--database", "app", "--latest", "--target-url", pg.url("cli_dir_copy"),
                "--s3-endpoint", s3.endpoint, "--jobs", "2", "--temp-dir", temp,
            ]);
            // then it is the one listed and restored, with every table matching and the source's exact contents
            assert.equal(listed.code, 0, listed.err);
            assert.deepEqual((JSON.parse(listed.out) as { backups: { key: string }[] }).backups.map((b) => b.key), [manifest.key]);
            assert.equal(restored.code, 0, restored.err);
            assert.match(restored.out, /all \d+ table\(s\) match the manifest/);
            assert.deepEqual(await contentChecksums(pg.url("cli_dir_copy")), await contentChecksums(pg.url("app")));
        } finally {
            process.env = saved;
        }
    });

    it("locks every file and the manifest at upload until the tier's keep days from the dump's start", async () => {
        // given Object Lock with per-tier keep days, and the 1st of the month (a monthly backup)
        const started = new Date("2026-03-01T02:00:00.000Z");
        const s = settings("app", { objectLock: { mode: "GOVERNANCE", keepDays: { daily: 14, weekly: 60, monthly: 400 } } });
        const before = proxy.requests.length;
        // when a directory-format dump runs
        const manifest = await runDump(s, { s3: s3.client({ endpoint: proxy.endpoint }), target: parsePostgresUrl(pg.url("app"), "test url"), log: new RecordingLog(), now: () => started });
        // then every object created (each file, then the manifest) carries the lock and the monthly tag
        assert.equal(manifest.tier, "monthly");
        const writes = proxy.requests.slice(before).filter((r) => (r.method === "POST" && r.query.has("uploads")) || (r.method === "PUT" && !r.query.has("partNumber") && !r.query.has("tagging")));
        assert.equal(writes.length, (manifest.files ?? []).length + 1);
        const until = new Date(started.getTime() + 400 * 86_400_000).toISOString();
        for (const w of writes) {
            assert.equal(w.headers["x-amz-object-lock-mode"], "GOVERNANCE", w.path);
            assert.equal(new Date(String(w.headers["x-amz-object-lock-retain-until-date"])).toISOString(), until, w.path);
            assert.equal(w.headers["x-amz-tagging"], "tier=monthly", w.path);
        }
    });

    it("stores no backup when a file's upload fails: the files already stored stay without a manifest", async () => {
        // given S3 refusing every write of toc.dat (uploaded after the data files)
        proxy.setFault({ kind: "status", status: 500, times: "always", match: (r) => r.method === "PUT" && r.path.endsWith("/toc.dat") });
        const s = settings("app", { uploadConcurrency: 2 });
        const log = new RecordingLog();
        try {
            // when a directory-format dump runs
            await assert.rejects(
                runDump(s, { s3: s3.client({ endpoint: proxy.endpoint }), target: parsePostgresUrl(pg.url("app"), "test url"), log, metrics: new RecordingMetrics() }),
                (err: unknown) => err instanceof DumpUploadError && /toc\.dat/.test(err.message),
            );
        } finally {
            proxy.setFault({ kind: "none" });
        }
        // then no manifest was written, the data files stored before the failure are left without one
        // (the dump role may not delete), the catalog takes none of it as a backup, and no upload is left pending
        assert.ok(log.entries.some((e) => e.message === "files of the failed dump left without a manifest: not a backup"), log.text());
        const keys = await listKeys(s3.client(), BUCKET, s.prefix);
        assert.ok(keys.length > 0 && keys.every((k) => /\.dump\/[^/]+$/.test(k) && !k.endsWith("/toc.dat")), keys.join(", "));
        const catalog = await listBackups(s3Storage({ client: s3.client(), bucket: BUCKET, kmsKeyId: undefined }), { prefix: s.prefix, database: "app" });
        assert.deepEqual([catalog.backups, catalog.problems, catalog.withoutManifest.length], [[], [], 1]);
        assert.deepEqual((await s3.pendingUploads(BUCKET)).filter((u) => u.key.startsWith(s.prefix)), []);
        assert.deepEqual(await readdir(temp), []);
    });

    it("refuses a backup with a missing file or a corrupted file, naming the file, before restoring anything", async () => {
        // given two directory backups, one missing a data file and one with a data file changed by one byte
        const missing = await dump("app", "app");
        const corrupt = await dump("app", "app");
        const dataFiles = (m: BackupManifest) => (m.files ?? []).filter((f) => f.name.endsWith(".dat.gz"));
        const gone = dataFiles(missing.manifest)[0];
        const flipped = dataFiles(corrupt.manifest)[1];
        assert.ok(gone !== undefined && flipped !== undefined);
        await s3.client().send(new DeleteObjectCommand({ Bucket: BUCKET, Key: gone.key }));
        await rewriteObject(s3.client(), BUCKET, flipped.key, (b) => {
            const copy = Buffer.from(b);
            const at = Math.floor(copy.length / 2);
            copy[at] = (copy[at] ?? 0) ^ 0x01;
            return copy;
        });
        // when they are restored
        // then each restore fails naming the file, and no database was created
        await assert.rejects(restoreBackup(restoreOptions(missing.manifest, "dir_missing")), (err: unknown) => err instanceof BackupFileMissingError && err.message.includes(gone.name));
        await assert.rejects(restoreBackup(restoreOptions(corrupt.manifest, "dir_corrupt")), (err: unknown) => err instanceof ChecksumMismatchError && err.message.includes(`file ${flipped.name}`));
        assert.equal(await databaseExists("dir_missing"), false);
        assert.equal(await databaseExists("dir_corrupt"), false);
        assert.deepEqual(await readdir(temp), []);
        // and the catalog reports the incomplete one as unusable, naming the file
        const catalog = await listBackups(s3Storage({ client: s3.client(), bucket: BUCKET, kmsKeyId: undefined }), { prefix: missing.prefix, database: "app" });
        assert.deepEqual(catalog.backups, []);
        assert.match(catalog.problems[0]?.reason ?? "", new RegExp(`file ${gone.name.replace(/\./g, "\\.")} of its directory dump`));
        // and verify fails the corrupted one's checksum check, naming the file, without restoring it
        const report = await runVerify(verifyConfig(corrupt.prefix, "app"), { s3: s3.client(), log: new RecordingLog(), metrics: new RecordingMetrics(), now: () => new Date("2026-03-10T02:10:00.000Z") });
        const checks = report.targets[0]?.checks ?? [];
        assert.equal(report.ok, false);
        const checksum = checks.find((c) => c.name === "checksum");
        assert.equal(checksum?.ok, false);
        assert.match(checksum?.detail ?? "", new RegExp(`file ${flipped.name.replace(/\./g, "\\.")}`));
        assert.equal(checks.find((c) => c.name === "restore")?.skipped, true);
    });

    it("stores no backup when pg_dump fails (a table the dump user cannot read)", async () => {
        // given a database with a table the dump user may not read, among tables it may
        await createDatabase(pg.url(), "guarded");
        await query(
            pg.url("guarded"),
            "CREATE ROLE dumper LOGIN PASSWORD 'dumper'; " +
                "CREATE TABLE open_a AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g; " +
                "CREATE TABLE open_b AS SELECT g AS id FROM generate_series(1, 20000) g; " +
                "CREATE TABLE secret AS SELECT g AS id FROM generate_series(1, 10) g; " +
                // a column grant lets the row counts read it, but not pg_dump, which locks and copies the whole table
                "GRANT SELECT ON open_a, open_b TO dumper; GRANT SELECT (id) ON secret TO dumper",
        );
        const url = new URL(pg.url("guarded"));
        url.username = "dumper";
        url.password = "dumper";
        const s = settings("guarded");
        const log = new RecordingLog();
        // when a directory-format dump runs as that user
        await assert.rejects(
            runDump(s, { s3: s3.client({ endpoint: proxy.endpoint }), target: parsePostgresUrl(url.toString(), "test url"), log, metrics: new RecordingMetrics() }),
            (err: unknown) => err instanceof PgDumpFailedError && /permission denied/.test(err.message) && /secret/.test(err.message),
        );
        // then nothing is stored: no file, no manifest, nothing the catalog could take as a backup
        assert.deepEqual(await listKeys(s3.client(), BUCKET, s.prefix), []);
        const catalog = await listBackups(s3Storage({ client: s3.client(), bucket: BUCKET, kmsKeyId: undefined }), { prefix: s.prefix, database: "guarded" });
        assert.deepEqual([catalog.backups, catalog.problems, catalog.withoutManifest], [[], [], []]);
        assert.deepEqual(await readdir(temp), [], "the temporary dump directory is removed");
    });

    it("stores no backup when a pg_dump worker fails part-way (its table's lock refused)", async () => {
        // given two big tables that keep both workers busy, and a small one dumped after them
        await createDatabase(pg.url(), "busy");
        await query(
            pg.url("busy"),
            "CREATE TABLE big_a AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 400000) g; " +
                "CREATE TABLE big_b AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 400000) g; " +
                "CREATE TABLE small_c AS SELECT g AS id FROM generate_series(1, 10) g",
        );
        await query(pg.url("busy"), "VACUUM ANALYZE");
        const s = settings("busy", { jobs: 2 });
        const log = new RecordingLog();
        // when a dump with two workers runs, and once pg_dump's leader holds its lock on the small
        // table another session asks for an exclusive lock on it, so the worker that reaches it later
        // cannot take its own (pg_dump's workers lock with NOWAIT) and fails
        const dumping = runDump(s, { s3: s3.client({ endpoint: proxy.endpoint }), target: parsePostgresUrl(pg.url("busy"), "test url"), log, metrics: new RecordingMetrics() });
        const settled = dumping.then(
            () => true,
            () => true,
        );
        let leaderLocked = false;
        while (!leaderLocked) {
            const held = await query(
                pg.url("busy"),
                "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid " +
                    "WHERE l.relation = 'public.small_c'::regclass AND l.granted AND a.application_name = 'pg-backup-stack-dump' AND a.query NOT ILIKE '%count(%'",
            );
            leaderLocked = held.length > 0;
            if (!leaderLocked && (await Promise.race([settled, new Promise((r) => setTimeout(() => r(false), 10))]))) {
                assert.fail("the dump ended before pg_dump's leader was seen holding its lock");
            }
        }
        const blocker = query(pg.url("busy"), "BEGIN; SET LOCAL lock_timeout = '60s'; LOCK TABLE small_c IN ACCESS EXCLUSIVE MODE; COMMIT");
        // then the run fails with pg_dump's own message
        await assert.rejects(dumping, (err: unknown) => err instanceof PgDumpFailedError && /could not obtain lock on relation/.test(err.message));
        await blocker;
        // and no manifest is stored: whatever files went up before the failure, the catalog takes none of it as a backup
        assert.ok((await listKeys(s3.client(), BUCKET, s.prefix)).every((k) => !k.endsWith(".manifest.json")));
        const catalog = await listBackups(s3Storage({ client: s3.client(), bucket: BUCKET, kmsKeyId: undefined }), { prefix: s.prefix, database: "busy" });
        assert.deepEqual([catalog.backups, catalog.problems], [[], []]);
        assert.deepEqual(await readdir(temp), [], "the temporary dump directory is removed");
    });

    it("leaves files of a run whose manifest was never written out of every listing of backups", async () => {
        // given the files of a directory dump whose manifest is then removed (a run that died before writing it)
        const { manifest, prefix } = await dump("app", "app");
        assert.ok((manifest.files ?? []).length > 1);
        await s3.client().send(new DeleteObjectCommand({ Bucket: BUCKET, Key: manifestKey(manifest.key) }));
        assert.ok((await listKeys(s3.client(), BUCKET, prefix)).every((k) => k.startsWith(`${manifest.key}/`)), "only the files under the dump's key are left");
        // when the backups are listed
        const catalog = await listBackups(s3Storage({ client: s3.client(), bucket: BUCKET, kmsKeyId: undefined }), { prefix, database: "app" });
        // then there is no backup, and the dump is reported as one without a manifest
        assert.deepEqual(catalog.backups, []);
        assert.deepEqual(catalog.withoutManifest, [manifest.key]);
    });
});
