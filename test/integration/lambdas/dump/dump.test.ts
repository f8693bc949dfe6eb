import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { S3Client } from "@aws-sdk/client-s3";
import { Client } from "pg";
import { runDump } from "../../../../lambdas/dump/dump";
import { dumpSettings, type DumpDeps, type DumpSettingsInput } from "../../../../lambdas/dump/settings";
import { countRows } from "../../../../lambdas/dump/tables";
import {
    DatabaseAuthError,
    DatabaseUnreachableError,
    DeadlineExceededError,
    DumpConfigError,
    DumpUploadError,
    InvalidArchiveError,
    PgDumpFailedError,
    PgDumpVersionError,
} from "../../../../lambdas/dump/errors";
import { s3Client } from "../../../../lambdas/shared/awsClients";
import { manifestKey } from "../../../../lambdas/shared/keys";
import type { BackupManifest } from "../../../../lambdas/shared/manifest";
import { parsePostgresUrl } from "../../../../lambdas/shared/pgTarget";
import {
    createDatabase,
    dropDatabase,
    freePort,
    loadSampleData,
    query,
    startFaultyProxy,
    startPostgres,
    startS3,
    uploadPartRequests,
    type EmbeddedPostgres,
    type EmbeddedS3,
    type FaultyProxy,
} from "../../../helpers/embedded";
import { getBytes, getTags, listKeys, RecordingLog, RecordingMetrics, sha256Hex } from "../../../helpers/recorders";

const execFileAsync = promisify(execFile);
const PASSWORD = "dump-test-secret-7f3a";
const BUCKET = "dump-test-bucket";
const MiB = 1024 * 1024;

describe("dump (real PostgreSQL, s3rver)", function () {
    this.timeout(60_000);

    let pg: EmbeddedPostgres;
    let s3: EmbeddedS3;
    let proxy: FaultyProxy;
    let scripts: string;
    let prefixCounter = 0;

    before(async function () {
        this.timeout(120_000);
        [pg, s3] = await Promise.all([startPostgres({ password: PASSWORD }), startS3()]);
        proxy = await startFaultyProxy(s3.endpoint);
        await s3.createBucket(BUCKET);
        await createDatabase(pg.url(), "app");
        // ~7 MB uncompressed: two 5 MiB parts, so every test below goes through a real multipart upload.
        await loadSampleData(pg.url("app"), { scale: 0.3 });
        scripts = await mkdtemp(join(tmpdir(), "pgbs-dump-test-"));
    });

    after(async () => {
        await proxy?.stop();
        await s3?.stop();
        await pg?.stop();
        if (scripts !== undefined) {
            await rm(scripts, { recursive: true, force: true });
        }
    });

    afterEach(() => proxy.setFault({ kind: "none" }));

    /** A fresh prefix per test, so listings see only that test's objects. */
    function freshPrefix(): string {
        prefixCounter++;
        return `t${prefixCounter}/backups`;
    }

    function settings(over: Partial<DumpSettingsInput> = {}): ReturnType<typeof dumpSettings> {
        return dumpSettings({
            database: "app",
            bucket: BUCKET,
            prefix: freshPrefix(),
            pgDumpPath: join(pg.binDir, "pg_dump"),
            kmsKeyId: "alias/pg-backup-test",
            compression: { method: "none", level: 0 },
            partSizeBytes: 5 * MiB,
            expectedMaxBytes: 10 * 1024 * MiB,
            ...over,
        });
    }

    function deps(over: Partial<DumpDeps> & { client?: S3Client } = {}): DumpDeps & { log: RecordingLog; metrics: RecordingMetrics } {
        return {
            s3: over.client ?? s3.client({ endpoint: proxy.endpoint }),
            target: parsePostgresUrl(pg.url("app"), "test url"),
            log: new RecordingLog(),
            metrics: new RecordingMetrics(),
            ...over,
        } as DumpDeps & { log: RecordingLog; metrics: RecordingMetrics };
    }

    /** A pg_dump stand-in: forwards --version to the real one, runs `body` otherwise (with REAL set). */
    async function fakePgDump(name: string, body: string, version?: string): Promise<string> {
        const path = join(scripts, name);
        const real = join(pg.binDir, "pg_dump");
        const versionLine = version === undefined ? `exec "${real}" --version` : `echo "${version}"; exit 0`;
        await writeFile(path, `#!/bin/sh\nREAL="${real}"\nif [ "$1" = "--version" ]; then ${versionLine}; fi\n${body}\n`);
        await chmod(path, 0o755);
        return path;
    }

    async function assertNothingStored(prefix: string): Promise<void> {
        const client = s3.client();
        assert.deepEqual(await listKeys(client, BUCKET, prefix), [], "no object and no manifest");
        assert.deepEqual(
            (await s3.pendingUploads(BUCKET)).filter((u) => u.key.startsWith(prefix)),
            [],
            "no multipart upload left pending",
        );
    }

    async function liveCounts(database: string): Promise<Map<string, number>> {
        const counts = new Map<string, number>();
        const tables = await query<{ s: string; n: string }>(
            pg.url(database),
            // ordinary tables and leaf partitions; a partitioned parent or a materialized view has no rows of its own to count
            "SELECT schemaname AS s, relname AS n FROM pg_stat_user_tables WHERE relid::regclass IN (SELECT oid FROM pg_class WHERE relkind = 'r') ORDER BY 1, 2",
        );
        for (const t of tables) {
            const r = await query<{ c: string }>(pg.url(database), `SELECT count(*) AS c FROM "${t.s}"."${t.n}"`);
            counts.set(`${t.s}.${t.n}`, Number(r[0]?.c));
        }
        return counts;
    }

    function isGone(pid: number): boolean {
        try {
            process.kill(pid, 0);
            return false;
        } catch {
            return true;
        }
    }

    it("stores a custom-format dump with SSE-KMS, the tier tag and a manifest whose checksum and row counts are right", async () => {
        // given the sample database, an S3 path through the recording proxy, and a Tuesday (no promotion)
        const s = settings();
        const d = deps({ now: () => new Date("2026-03-10T02:00:00.000Z") });
        const before = proxy.requests.length;
        // when a dump runs
        const manifest = await runDump(s, d);
        // then the object and its manifest are stored, the manifest last
        const keys = await listKeys(s3.client(), BUCKET, s.prefix);
        assert.deepEqual(keys, [manifest.key, manifestKey(manifest.key)]);
        assert.match(manifest.key, new RegExp(`^${s.prefix}/app/daily/2026/03/10/app-20260310T020000000Z-[0-9a-f]{12}\\.dump$`));
        const body = await getBytes(s3.client(), BUCKET, manifest.key);
        assert.equal(body.length, manifest.sizeBytes);
        assert.equal(sha256Hex(body), manifest.sha256);
        assert.ok(manifest.sizeBytes > 5 * MiB, "big enough for a multipart upload");
        const stored = JSON.parse((await getBytes(s3.client(), BUCKET, manifestKey(manifest.key))).toString("utf8")) as BackupManifest;
        assert.deepEqual(stored, manifest);
        assert.deepEqual(await getTags(s3.client(), BUCKET, manifest.key), { tier: "daily" });
        assert.deepEqual(await getTags(s3.client(), BUCKET, manifestKey(manifest.key)), { tier: "daily" });
        // and every write carried SSE-KMS with the configured key
        const writes = proxy.requests.slice(before).filter((r) => (r.method === "POST" && r.query.has("uploads")) || (r.method === "PUT" && !r.query.has("partNumber") && !r.query.has("tagging")));
        assert.equal(writes.length, 2, "CreateMultipartUpload for the dump, PutObject for the manifest");
        for (const w of writes) {
            assert.equal(w.headers["x-amz-server-side-encryption"], "aws:kms");
            assert.equal(w.headers["x-amz-server-side-encryption-aws-kms-key-id"], "alias/pg-backup-test");
            assert.equal(w.headers["x-amz-tagging"], "tier=daily");
        }
        // and the manifest's row counts are the database's
        const live = await liveCounts("app");
        assert.equal(manifest.tables.length, live.size);
        for (const t of manifest.tables) {
            assert.equal(t.rows, live.get(`${t.schema}.${t.name}`), `${t.schema}.${t.name}`);
        }
        assert.equal(manifest.serverVersionNum >= 150000, true);
        assert.match(manifest.pgDumpVersion, /^pg_dump \(PostgreSQL\) \d+/);
        // and the archive restores, large object included
        const file = join(scripts, "roundtrip.dump");
        await writeFile(file, body);
        const { stdout } = await execFileAsync(join(pg.binDir, "pg_restore"), ["--list", file]);
        assert.match(stdout, /BLOB - \d+/);
        assert.match(stdout, /BLOBS - BLOBS/);
        assert.match(stdout, /MATERIALIZED VIEW DATA sales daily_revenue/);
        // and success metrics were recorded with the Database dimension, and the password was never logged
        assert.deepEqual(d.metrics.named("BackupSucceeded").map((m) => [m.value, m.dimensions]), [[1, { Database: "app" }]]);
        assert.equal(d.metrics.named("BackupSizeBytes")[0]?.value, manifest.sizeBytes);
        assert.equal(d.metrics.named("BackupFailed").length, 0);
        assert.equal(d.log.text().includes(PASSWORD), false);
    });

    /** The requests that create an object: CreateMultipartUpload and PutObject (not UploadPart, not PutObjectTagging). */
    const creations = (from: number) => proxy.requests.slice(from).filter((r) => (r.method === "POST" && r.query.has("uploads")) || (r.method === "PUT" && !r.query.has("partNumber") && !r.query.has("tagging")));

    it("locks the dump and its manifest at upload until the tier's keep days from the dump's start", async () => {
        // given Object Lock with per-tier keep days, and the 1st of the month (a monthly backup)
        const keepDays = { daily: 14, weekly: 60, monthly: 400 };
        const s = settings({ objectLock: { mode: "COMPLIANCE", keepDays } });
        const started = new Date("2026-03-01T02:00:00.000Z");
        const before = proxy.requests.length;
        // when a dump runs
        const manifest = await runDump(s, deps({ now: () => started }));
        // then it is a monthly backup, and the CreateMultipartUpload of the dump and the PutObject of
        // its manifest both carry the lock: the mode and the start plus the monthly keep days
        assert.equal(manifest.tier, "monthly");
        const writes = creations(before);
        assert.equal(writes.length, 2, "CreateMultipartUpload for the dump, PutObject for the manifest");
        assert.deepEqual(writes.map((w) => w.path.endsWith(".manifest.json")), [false, true]);
        const until = new Date(started.getTime() + 400 * 86_400_000).toISOString();
        for (const w of writes) {
            assert.equal(w.headers["x-amz-object-lock-mode"], "COMPLIANCE");
            assert.equal(new Date(String(w.headers["x-amz-object-lock-retain-until-date"])).toISOString(), until);
        }
    });

    it("sends no lock headers when no per-object lock is configured", async () => {
        const before = proxy.requests.length;
        await runDump(settings(), deps({ now: () => new Date("2026-03-10T02:00:00.000Z") }));
        for (const w of creations(before)) {
            assert.equal(w.headers["x-amz-object-lock-mode"], undefined);
            assert.equal(w.headers["x-amz-object-lock-retain-until-date"], undefined);
        }
    });

    it("uploads every part and the manifest with a checksum, with the function's own S3 client, whatever the environment says", async () => {
        // given the client the dump function builds, in an environment that asks the SDK for checksums only where required
        const saved = { ...process.env };
        Object.assign(process.env, { AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED" });
        delete process.env["AWS_PROFILE"];
        try {
            const client = s3Client({ endpoint: proxy.endpoint, maxAttempts: 3 });
            const s = settings();
            const before = proxy.requests.length;
            // when a dump runs through the recording proxy (a multipart upload of at least two parts)
            const manifest = await runDump(s, deps({ client, now: () => new Date("2026-03-10T02:00:00.000Z") }));
            // then every UploadPart and the manifest's PutObject carry a checksum header, and the upload announced its algorithm
            const requests = proxy.requests.slice(before);
            const parts = requests.filter(uploadPartRequests);
            assert.ok(parts.length >= 2, `${parts.length} parts`);
            const checksum = (h: Record<string, unknown>) => Object.keys(h).find((k) => /^x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)$/.test(k));
            for (const p of parts) assert.ok(checksum(p.headers) !== undefined, `part ${p.query.get("partNumber")} has no checksum: ${JSON.stringify(p.headers)}`);
            const [create, manifestPut] = creations(before);
            assert.match(String(create?.headers["x-amz-checksum-algorithm"]), /^CRC32|CRC64NVME$/i);
            assert.ok(manifestPut !== undefined && checksum(manifestPut.headers) !== undefined, "manifest PutObject has no checksum");
            assert.equal(sha256Hex(await getBytes(s3.client(), BUCKET, manifest.key)), manifest.sha256);
        } finally {
            for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
            Object.assign(process.env, saved);
        }
    });

    it("takes row counts in the dump's snapshot, not after it", async () => {
        // given a pg_dump wrapper that commits 500 new customers just before pg_dump starts
        const psql = join(pg.binDir, "psql");
        const wrapper = await fakePgDump(
            "insert-then-dump",
            `"${psql}" -q -c "INSERT INTO sales.customers SELECT 900000 + i, 'late' || i || '@example.com', 'Late', 'DE', now(), now() FROM generate_series(1, 500) AS i" || exit 9\nexec "$REAL" "$@"`,
        );
        const countBefore = Number((await query<{ c: string }>(pg.url("app"), "SELECT count(*) AS c FROM sales.customers"))[0]?.c);
        try {
            // when a dump runs through it
            const manifest = await runDump(settings({ pgDumpPath: wrapper }), deps());
            // then the manifest and the archive both hold the rows as of the snapshot
            const customers = manifest.tables.find((t) => t.schema === "sales" && t.name === "customers");
            assert.equal(customers?.rows, countBefore);
            const body = await getBytes(s3.client(), BUCKET, manifest.key);
            const file = join(scripts, "snapshot.dump");
            await writeFile(file, body);
            await createDatabase(pg.url(), "snapcheck");
            await execFileAsync(join(pg.binDir, "pg_restore"), ["--no-owner", "-d", pg.url("snapcheck"), file]);
            const restored = Number((await query<{ c: string }>(pg.url("snapcheck"), "SELECT count(*) AS c FROM sales.customers"))[0]?.c);
            assert.equal(restored, countBefore);
            const live = Number((await query<{ c: string }>(pg.url("app"), "SELECT count(*) AS c FROM sales.customers"))[0]?.c);
            assert.equal(live, countBefore + 500);
        } finally {
            await query(pg.url("app"), "DELETE FROM sales.customers WHERE id > 900000");
            await dropDatabase(pg.url(), "snapcheck");
        }
    });

    it("counts rows in the exported snapshot, leaving the session's own parallel settings alone, with the same numbers", async () => {
        // given a session whose planner would count sales.order_items with parallel workers, and a snapshot exported by another
        const client = new Client({ connectionString: pg.url("app") });
        const holder = new Client({ connectionString: pg.url("app") });
        await Promise.all([client.connect(), holder.connect()]);
        const planOf = async (): Promise<string> =>
            (await client.query<{ "QUERY PLAN": string }>("EXPLAIN SELECT count(*) FROM sales.order_items")).rows.map((r) => r["QUERY PLAN"]).join("\n");
        try {
            await client.query("SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2");
            assert.match(await planOf(), /Gather/, "the setup must make a parallel plan the planner's choice");
            const live = await liveCounts("app");
            await holder.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
            const snapshot = (await holder.query<{ s: string }>("SELECT pg_export_snapshot() AS s")).rows[0]?.s ?? "";
            // when the rows are counted as of that snapshot, in batches of 3 tables
            const counted = await countRows(client, snapshot, 3);
            // then the session is outside any transaction, with its own setting back
            assert.match(await planOf(), /Gather/);
            // and the counts are the database's
            assert.equal(counted.length, live.size);
            for (const t of counted) {
                assert.equal(t.rows, live.get(`${t.schema}.${t.name}`), `${t.schema}.${t.name}`);
            }
        } finally {
            await Promise.all([client.end(), holder.end()]);
        }
    });

    it("does not complete the upload when pg_dump closes stdout and only then exits non-zero", async () => {
        // given a pg_dump that writes a whole valid archive, closes stdout, waits, and exits 3
        const late = await fakePgDump("late-failure", `"$REAL" "$@"\nexec >&-\nsleep 1\nexit 3`);
        const s = settings({ pgDumpPath: late });
        const d = deps();
        // when a dump runs
        const run = runDump(s, d);
        // then it fails with pg_dump's exit code, and nothing that looks like a backup is left
        await assert.rejects(run, (e: unknown) => e instanceof PgDumpFailedError && e.exitCode === 3);
        await assertNothingStored(s.prefix);
        assert.ok(proxy.requests.some((r) => r.method === "DELETE" && r.path.includes(s.prefix) && r.query.has("uploadId")), "AbortMultipartUpload sent");
        assert.equal(d.metrics.named("BackupFailed")[0]?.value, 1);
        assert.equal(d.metrics.named("BackupSucceeded").length, 0);
    });

    it("rejects a valid-looking 20-byte archive and output that is not an archive", async () => {
        // given a pg_dump that prints only a custom-format header, and one that prints text
        const tiny = await fakePgDump("tiny", `printf 'PGDMP\\001\\016\\000\\004\\010\\001\\001\\000\\000\\000\\000\\000\\000\\000\\000\\000'\nexit 0`);
        const text = await fakePgDump("text", `i=0; while [ $i -lt 200 ]; do echo "CREATE TABLE t$i (id int);"; i=$((i+1)); done\nexit 0`);
        for (const path of [tiny, text]) {
            const s = settings({ pgDumpPath: path });
            // when a dump runs
            const run = runDump(s, deps());
            // then it is refused and nothing is stored
            await assert.rejects(run, InvalidArchiveError);
            await assertNothingStored(s.prefix);
        }
    });

    it("aborts when pg_dump is killed mid-stream", async () => {
        // given a dump whose pg_dump is killed once 1 MiB has come through
        let killedPid: number | undefined;
        const log = new RecordingLog();
        const s = settings();
        const d = deps({
            log,
            onProgress: (bytes) => {
                const started = log.entries.find((e) => e.message === "pg_dump started");
                if (killedPid === undefined && bytes >= MiB && typeof started?.extra.pid === "number") {
                    killedPid = started.extra.pid;
                    process.kill(killedPid, "SIGKILL");
                }
            },
        });
        // when it runs
        const run = runDump(s, d);
        // then it fails naming the signal, nothing is stored, and pg_dump is gone
        await assert.rejects(run, (e: unknown) => e instanceof PgDumpFailedError && e.signal === "SIGKILL");
        assert.notEqual(killedPid, undefined);
        await assertNothingStored(s.prefix);
        assert.equal(isGone(killedPid ?? 0), true);
    });

    it("stops before the deadline, kills pg_dump and leaves nothing behind", async () => {
        // given a slow pg_dump and 1.5 s left above the safety margin
        const slow = await fakePgDump("slow", `"$REAL" "$@" | { head -c 6000000; sleep 30; cat; }`);
        const s = settings({ pgDumpPath: slow, safetyMarginMs: 60_000 });
        const t0 = Date.now();
        const log = new RecordingLog();
        // when a dump runs
        const run = runDump(s, deps({ log, remainingMs: () => 61_500 - (Date.now() - t0) }));
        // then it stops with a deadline error well before the slow pg_dump would finish
        await assert.rejects(run, DeadlineExceededError);
        assert.ok(Date.now() - t0 < 15_000);
        await assertNothingStored(s.prefix);
        const pid = log.entries.find((e) => e.message === "pg_dump started")?.extra.pid;
        assert.equal(typeof pid === "number" && isGone(pid), true, "pg_dump's process is gone");
    });

    it("does not start when the time left is already within the safety margin", async () => {
        // given 30 s left and a 60 s margin
        const s = settings();
        const d = deps({ remainingMs: () => 30_000 });
        // when a dump is asked for
        // then it refuses before connecting or uploading
        await assert.rejects(runDump(s, d), /before start: 30000 ms left/);
        assert.equal(d.log.entries.some((e) => e.message === "pg_dump started"), false);
        await assertNothingStored(s.prefix);
    });

    it("retries transient S3 failures and still stores a correct backup", async () => {
        // given S3 answering 503 to the first two part uploads
        proxy.setFault({ kind: "status", status: 503, times: 2, match: uploadPartRequests });
        const s = settings();
        // when a dump runs
        const manifest = await runDump(s, deps({ client: s3.client({ endpoint: proxy.endpoint, maxAttempts: 3 }) }));
        // then both faults were absorbed by retries and the stored object matches its manifest
        assert.equal(proxy.injected, 2);
        const body = await getBytes(s3.client(), BUCKET, manifest.key);
        assert.equal(sha256Hex(body), manifest.sha256);
        assert.deepEqual(await listKeys(s3.client(), BUCKET, s.prefix), [manifest.key, manifestKey(manifest.key)]);
    });

    it("fails cleanly when S3 keeps failing", async () => {
        // given S3 answering 500 to every part upload
        proxy.setFault({ kind: "status", status: 500, times: "always", match: uploadPartRequests });
        const s = settings();
        const log = new RecordingLog();
        // when a dump runs
        const run = runDump(s, deps({ log, client: s3.client({ endpoint: proxy.endpoint, maxAttempts: 2 }) }));
        // then it fails as an upload error, the upload is aborted and pg_dump is gone
        await assert.rejects(run, DumpUploadError);
        await assertNothingStored(s.prefix);
        const pid = log.entries.find((e) => e.message === "pg_dump started")?.extra.pid;
        assert.equal(typeof pid === "number" && isGone(pid), true);
    });

    it("reports an unreachable database and a wrong password as different errors, storing nothing", async () => {
        // given a port nobody listens on, and the right server with a wrong password
        const nobody = parsePostgresUrl(`postgres://postgres:x@127.0.0.1:${await freePort()}/app`, "url");
        const wrong = parsePostgresUrl(pg.url("app").replace(PASSWORD, "not-the-password"), "url");
        const s1 = settings();
        const s2 = settings();
        const d2 = deps({ target: wrong });
        // when dumps run against them
        // then each fails with its own error and nothing is stored
        await assert.rejects(runDump(s1, deps({ target: nobody })), DatabaseUnreachableError);
        await assert.rejects(runDump(s2, d2), (e: unknown) => e instanceof DatabaseAuthError && /password authentication failed/.test(e.message));
        await assertNothingStored(s1.prefix);
        await assertNothingStored(s2.prefix);
        assert.equal(d2.log.text().includes("not-the-password"), false);
    });

    it("gives two dumps started in the same millisecond distinct keys", async () => {
        // given a fixed clock
        const at = new Date("2026-03-03T10:00:00.000Z");
        const s = settings();
        // when two dumps run at once
        const [a, b] = await Promise.all([runDump(s, deps({ now: () => at })), runDump(s, deps({ now: () => at }))]);
        // then both are stored under different keys with their own manifests
        assert.notEqual(a.key, b.key);
        assert.equal(a.startedAt, b.startedAt);
        const keys = await listKeys(s3.client(), BUCKET, s.prefix);
        assert.deepEqual(keys, [a.key, b.key, manifestKey(a.key), manifestKey(b.key)].sort());
    });

    it("refuses a pg_dump older than the server, and lz4 with a PostgreSQL 15 client", async () => {
        // given a pg_dump that claims version 14
        const old = await fakePgDump("old", `exec "$REAL" "$@"`, "pg_dump (PostgreSQL) 14.11");
        const major = Number(/(\d+)/.exec((await execFileAsync(join(pg.binDir, "pg_dump"), ["--version"])).stdout.replace(/^\D+/, ""))?.[1]);
        const s1 = settings({ pgDumpPath: old });
        // when dumps run
        // then the old client is refused with both versions in the message
        await assert.rejects(runDump(s1, deps()), (e: unknown) => e instanceof PgDumpVersionError && /pg_dump 14 .* older than the server 15/.test(e.message));
        await assertNothingStored(s1.prefix);
        if (major < 16) {
            const s2 = settings({ compression: { method: "lz4", level: 1 } });
            await assert.rejects(runDump(s2, deps()), (e: unknown) => e instanceof PgDumpVersionError && /lz4 needs pg_dump 16/.test(e.message));
        }
    });

    it("promotes the first successful scheduled run of the weekly day, and no other", async () => {
        // given a Sunday (the default weekly day) and a shared prefix
        const sunday = new Date("2026-03-08T02:00:00.000Z");
        const prefix = freshPrefix();
        const failing = await fakePgDump("fails", `exit 1`);
        // when a run fails, then two scheduled runs follow, and an on-demand run on the 1st (the monthly day)
        await assert.rejects(runDump(settings({ prefix, pgDumpPath: failing }), deps({ now: () => sunday })), PgDumpFailedError);
        const first = await runDump(settings({ prefix }), deps({ now: () => sunday }));
        const second = await runDump(settings({ prefix }), deps({ now: () => new Date(sunday.getTime() + 3_600_000) }));
        const onDemandOnTheFirst = await runDump(settings({ prefix, trigger: "on-demand" }), deps({ now: () => new Date("2026-03-01T05:00:00Z") }));
        // then the failed run did not use up the promotion, the first success is weekly, the rest daily
        assert.equal(first.tier, "weekly");
        assert.equal(second.tier, "daily");
        assert.equal(onDemandOnTheFirst.tier, "daily");
        assert.equal(onDemandOnTheFirst.trigger, "on-demand");
        assert.deepEqual(await getTags(s3.client(), BUCKET, first.key), { tier: "weekly" });
        assert.ok(first.key.startsWith(`${prefix}/app/weekly/2026/03/08/`));
    });

    it("validates settings before doing anything", () => {
        // given settings with a bad value each
        const cases: [Partial<DumpSettingsInput>, RegExp][] = [
            [{ database: "../etc" }, /database: "\.\.\/etc" is not allowed/],
            [{ bucket: "Bad_Bucket" }, /bucket: "Bad_Bucket" is not a valid S3 bucket name/],
            [{ compression: { method: "gzip", level: 12 } }, /gzip level 12 is out of range 1\.\.9/],
            [{ gfs: { weeklyOn: "sunday", monthlyOnDay: 31 } }, /gfs\.monthlyOnDay: 31 is out of range 1\.\.28/],
            [{ uploadConcurrency: 0 }, /uploadConcurrency: 0 is out of range 1\.\.16/],
            [{ partSizeBytes: MiB }, /part size: 1048576 bytes is out of range/],
        ];
        for (const [over, message] of cases) {
            // when the settings are built
            // then the error names the key and the value
            assert.throws(() => settings(over), (e: unknown) => e instanceof DumpConfigError && message.test(e.message), JSON.stringify(over));
        }
    });
});
