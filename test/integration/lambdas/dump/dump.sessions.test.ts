import { strict as assert } from "node:assert";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { runDump } from "../../../../lambdas/dump/dump";
import { dumpSettings, type DumpDeps } from "../../../../lambdas/dump/settings";
import { countRows } from "../../../../lambdas/dump/tables";
import { SessionLostError, TableRewrittenError } from "../../../../lambdas/dump/errors";
import { parsePostgresUrl, pgErrorText } from "../../../../lambdas/shared/pgTarget";
import { createDatabase, query, quoteIdent, startPostgres, startS3, type EmbeddedPostgres, type EmbeddedS3 } from "../../../helpers/embedded";
import { listKeys, RecordingLog, RecordingMetrics } from "../../../helpers/recorders";
import { running } from "../../../helpers/stubbornTool";

const BUCKET = "dump-sessions";
/** A small shared lock table: about 10 x (40 + the background processes) entries, plus slack. */
const SMALL_LOCK_TABLE = { max_locks_per_transaction: "10", max_connections: "40" };
/**
 * Tables (each with its primary key index) for a small lock table: pg_dump alone fits, and so must
 * the dump with its counts in short batches. Counting them all in one transaction beside pg_dump
 * needs twice the entries; where that overflows depends on slack PostgreSQL keeps around the
 * nominal size, so the test holds the dump to fitting, not the old way to overflowing.
 */
const MANY_TABLES = 300;

/** Schema and table names that need quoting: quotes, spaces, dots, upper case, unicode. */
const ODD_SCHEMAS = ['Odd "Schema"', "dotted.name", "ünïcødé", "UPPER case"];

describe("dump sessions: server timeouts, lost sessions and many tables (real PostgreSQL, s3rver)", function () {
    this.timeout(90_000);

    let pg: EmbeddedPostgres;
    let s3: EmbeddedS3;
    let scripts: string;
    let prefixCounter = 0;

    before(async function () {
        this.timeout(180_000);
        [pg, s3] = await Promise.all([startPostgres({ settings: SMALL_LOCK_TABLE }), startS3()]);
        await s3.createBucket(BUCKET);
        scripts = await mkdtemp(join(tmpdir(), "pgbs-dump-sessions-"));
    });

    after(async () => {
        await s3?.stop();
        await pg?.stop();
        if (scripts !== undefined) {
            await rm(scripts, { recursive: true, force: true });
        }
    });

    function settings(database: string, pgDumpPath = join(pg.binDir, "pg_dump")): ReturnType<typeof dumpSettings> {
        prefixCounter++;
        return dumpSettings({ database, bucket: BUCKET, prefix: `s${prefixCounter}/backups`, pgDumpPath, compression: { method: "none", level: 0 } });
    }

    function deps(database: string): DumpDeps & { log: RecordingLog; metrics: RecordingMetrics } {
        return { s3: s3.client(), target: parsePostgresUrl(pg.url(database), "test url"), log: new RecordingLog(), metrics: new RecordingMetrics() };
    }

    /** A pg_dump that waits `seconds` before running the real one. */
    async function slowPgDump(seconds: number): Promise<string> {
        const path = join(scripts, `pg_dump-after-${seconds}s`);
        const real = join(pg.binDir, "pg_dump");
        await writeFile(path, `#!/bin/sh\nif [ "$1" = "--version" ]; then exec "${real}" --version; fi\nsleep ${seconds}\nexec "${real}" "$@"\n`);
        await chmod(path, 0o755);
        return path;
    }

    /** A database with one table per odd schema, `rows` rows each. */
    async function oddDatabase(name: string, rows: number): Promise<void> {
        await createDatabase(pg.url(), name);
        const ddl = ODD_SCHEMAS.map((s) => {
            const t = `${quoteIdent(s)}.${quoteIdent(`Täble "${s}".x`)}`;
            return `CREATE SCHEMA ${quoteIdent(s)}; CREATE TABLE ${t} (id int PRIMARY KEY, note text); INSERT INTO ${t} SELECT i, repeat('x', 100) FROM generate_series(1, ${rows}) AS i;`;
        });
        await query(pg.url(name), ddl.join("\n"));
    }

    let many: Promise<void> | undefined;

    /** Database "many": MANY_TABLES tables (each with a primary key index and one row) over odd schemas, created once. */
    function manyTables(): Promise<void> {
        many ??= (async (): Promise<void> => {
            await createDatabase(pg.url(), "many");
            const schemas = ODD_SCHEMAS.flatMap((s) => [s, `${s} 2`]);
            await query(
                pg.url("many"),
                `DO $$ DECLARE s text[] := ${`ARRAY[${schemas.map((s) => `'${s.replace(/'/g, "''")}'`).join(", ")}]`}; BEGIN
                    FOR i IN 1..array_length(s, 1) LOOP EXECUTE format('CREATE SCHEMA %I', s[i]); END LOOP;
                    FOR i IN 1..${MANY_TABLES} LOOP
                        EXECUTE format('CREATE TABLE %I.%I (id int PRIMARY KEY); INSERT INTO %I.%I VALUES (%s)', s[1 + i % array_length(s, 1)], 'T "' || i || '".ü', s[1 + i % array_length(s, 1)], 'T "' || i || '".ü', i);
                        IF i % 50 = 0 THEN COMMIT; END IF;
                    END LOOP;
                END $$`,
            );
        })();
        return many;
    }

    it("succeeds on a database whose statement and idle-in-transaction timeouts are shorter than the dump", async () => {
        // given a database with 500 ms statement and idle-in-transaction timeouts, and a session that
        // holds one of its tables locked for 2 s (pg_dump and the counts wait for it, as they should)
        await oddDatabase("timeouts", 1000);
        await query(pg.url(), "ALTER DATABASE timeouts SET statement_timeout = '500ms'");
        await query(pg.url(), "ALTER DATABASE timeouts SET idle_in_transaction_session_timeout = '500ms'");
        const holder = new Client({ connectionString: pg.url("timeouts") });
        await holder.connect();
        await holder.query("SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0; BEGIN");
        await holder.query(`LOCK TABLE ${quoteIdent("dotted.name")}.${quoteIdent('Täble "dotted.name".x')} IN ACCESS EXCLUSIVE MODE`);
        const released = holder.query("SELECT pg_sleep(2); COMMIT");
        try {
            // when a dump runs
            const d = deps("timeouts");
            const manifest = await runDump(settings("timeouts"), d);
            // then it succeeds with every table counted
            assert.deepEqual(
                manifest.tables.map((t) => [t.schema, t.rows]),
                [...ODD_SCHEMAS].sort().map((s) => [s, 1000]),
            );
            assert.equal(d.metrics.named("BackupSucceeded").length, 1);
        } finally {
            await released;
            await holder.end();
        }
    });

    it("succeeds when pg_dump takes longer than the database's idle-in-transaction timeout", async () => {
        // given a database that ends sessions idle in a transaction for 500 ms, and a pg_dump that starts 1.5 s late
        await oddDatabase("idle", 10);
        await query(pg.url(), "ALTER DATABASE idle SET idle_in_transaction_session_timeout = '500ms'");
        // when a dump runs (the session holding the snapshot waits, idle in its transaction, for pg_dump)
        const d = deps("idle");
        const manifest = await runDump(settings("idle", await slowPgDump(1.5)), d);
        // then it succeeds
        assert.equal(manifest.tables.length, ODD_SCHEMAS.length);
        assert.equal(d.metrics.named("BackupSucceeded").length, 1);
    });

    it("fails with the server's message and BackupFailed when the session holding the snapshot is ended, and kills pg_dump", async () => {
        // given a dump whose pg_dump starts 3 s late
        await oddDatabase("ended", 10);
        const s = settings("ended", await slowPgDump(3));
        const d = deps("ended");
        const run = runDump(s, d);
        run.catch(() => undefined);
        // when an administrator ends the session holding the snapshot
        let ended = false;
        for (let i = 0; i < 100 && !ended; i++) {
            await new Promise((r) => setTimeout(r, 50));
            const rows = await query<{ ok: boolean }>(
                pg.url(),
                "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = 'ended' AND application_name = 'pg-backup-stack-dump' AND state = 'idle in transaction'",
            );
            ended = rows.some((r) => r.ok);
        }
        assert.equal(ended, true, "the snapshot session was found and ended");
        // then the run fails with the server's own message, counted and logged as a failed backup
        await assert.rejects(run, (e: unknown) => e instanceof SessionLostError && /terminating connection due to administrator command/.test(e.message));
        assert.deepEqual(d.metrics.named("BackupFailed").map((m) => m.value), [1]);
        assert.equal(d.metrics.named("BackupSucceeded").length, 0);
        assert.ok(d.log.entries.some((e) => e.level === "error" && e.message === "backup failed" && /administrator command/.test(String(e.extra.reason))));
        // and nothing is stored, and pg_dump is gone
        assert.deepEqual(await listKeys(s3.client(), BUCKET, s.prefix), []);
        const pid = d.log.entries.find((e) => e.message === "pg_dump started")?.extra.pid;
        assert.equal(typeof pid === "number" && !(await running(pid)), true, "pg_dump's process is gone");
    });

    it(`dumps ${MANY_TABLES} tables in many odd schemas under a small lock table, counting in short batches`, async () => {
        // given many tables (each with a primary key index and one row) spread over odd schemas
        await manyTables();
        // when a dump runs
        const d = deps("many");
        const manifest = await runDump(settings("many"), d);
        // then every table is counted
        assert.equal(manifest.tables.length, MANY_TABLES);
        assert.ok(manifest.tables.every((t) => t.rows === 1));
        assert.equal(d.metrics.named("BackupSucceeded").length, 1);
    });

    it("stores nothing when a table is truncated after the snapshot and before pg_dump locks it (TRUNCATE is not MVCC-safe), in every format", async () => {
        await createDatabase(pg.url(), "truncated");
        await query(pg.url("truncated"), "CREATE TABLE keep (id int); INSERT INTO keep SELECT generate_series(1, 1000); CREATE TABLE other (id int)");
        const formats = [
            { compression: { method: "gzip", level: 1 } },
            { compression: { method: "none", level: 0 } },
            { compression: { method: "gzip", level: 1 }, format: "directory", jobs: 2, tempDir: scripts },
        ] as const;
        for (const over of formats) {
            await query(pg.url("truncated"), "TRUNCATE keep; INSERT INTO keep SELECT generate_series(1, 1000)");
            // given a session whose TRUNCATE of a table is not committed yet
            const holder = new Client({ connectionString: pg.url("truncated") });
            await holder.connect();
            try {
                await holder.query("BEGIN; TRUNCATE keep");
                // when a dump takes its snapshot (the 1,000 rows) and pg_dump waits for the table's lock
                prefixCounter++;
                const prefix = `s${prefixCounter}/backups`;
                const dumping = runDump(dumpSettings({ database: "truncated", bucket: BUCKET, prefix, pgDumpPath: join(pg.binDir, "pg_dump"), ...over }), deps("truncated"));
                dumping.catch(() => undefined);
                const waiting = async (): Promise<boolean> =>
                    ((await query<{ n: number }>(pg.url(), "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'truncated' AND wait_event_type = 'Lock'"))[0]?.n ?? 0) > 0;
                for (let i = 0; i < 200 && !(await waiting()); i++) {
                    await new Promise((resolve) => setTimeout(resolve, 50));
                }
                assert.equal(await waiting(), true, "pg_dump waits for the lock");
                // and the TRUNCATE commits, so pg_dump would read the table empty
                await holder.query("COMMIT");
                // then the run fails naming the table, and nothing is stored
                await assert.rejects(dumping, (e: unknown) => e instanceof TableRewrittenError && /^"public"\."keep" was truncated, rewritten or dropped after the dump's snapshot/.test(e.message), JSON.stringify(over));
                assert.deepEqual(await listKeys(s3.client(), BUCKET, prefix), [], JSON.stringify(over));
            } finally {
                await holder.end();
            }
        }
        // and a dump with nothing truncated meanwhile stores its backup
        const manifest = await runDump(settings("truncated"), deps("truncated"));
        assert.deepEqual(manifest.tables.map((t) => [t.name, t.rows]), [["keep", 0], ["other", 0]]);
    });

    it("keeps PostgreSQL's hint when a count fails", async () => {
        // given a table its non-superuser owner forces row-level security on, which a session
        // with row_security off may not read (PostgreSQL refuses, with a hint, rather than filter)
        await createDatabase(pg.url(), "hinted");
        await query(pg.url("hinted"), `
            CREATE ROLE hinted_owner NOLOGIN;
            CREATE TABLE forced (id int PRIMARY KEY);
            INSERT INTO forced VALUES (1);
            ALTER TABLE forced OWNER TO hinted_owner;
            ALTER TABLE forced ENABLE ROW LEVEL SECURITY;
            ALTER TABLE forced FORCE ROW LEVEL SECURITY;
            CREATE POLICY only_none ON forced USING (false);`);
        const holder = new Client({ connectionString: pg.url("hinted") });
        const counter = new Client({ connectionString: pg.url("hinted") });
        await Promise.all([holder.connect(), counter.connect()]);
        try {
            await holder.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
            const snapshot = (await holder.query<{ s: string }>("SELECT pg_export_snapshot() AS s")).rows[0]?.s ?? "";
            await counter.query("SET ROLE hinted_owner; SET row_security = off");
            // when the counts run
            const err = await countRows(counter, snapshot).then(
                () => assert.fail("a forced-RLS table read with row_security off should fail"),
                (e: unknown) => e,
            );
            // then the error text carries the server's message and its hint
            assert.match(pgErrorText(err), /query would be affected by row-level security policy for table "forced"; HINT: To disable the policy for the table's owner, use ALTER TABLE NO FORCE ROW LEVEL SECURITY/);
        } finally {
            await Promise.all([holder.end(), counter.end()]);
        }
    });
});
