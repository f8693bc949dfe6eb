/**
 * The CLI's safeguards against real PostgreSQL and s3rver: no silent fallback to an older backup,
 * no password in any output, interrupts that leave nothing behind, no unannounced overwrite of a
 * backup's own source, passwords from the environment, listings past one page.
 */
import assert from "node:assert/strict";
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Context } from "aws-lambda";
import { Client } from "pg";
import { main as backupMain } from "../../../cli/backup";
import { main as drillMain } from "../../../cli/drill";
import type { DrillSummary } from "../../../cli/drill/summary";
import { main as listMain } from "../../../cli/list";
import { main as restoreMain } from "../../../cli/restore";
import type { DumpResult } from "../../../lambdas/dump/handler";
import { runDump } from "../../../lambdas/dump/dump";
import { dumpSettings } from "../../../lambdas/dump/settings";
import { listBackups, selectBackup } from "../../../lambdas/shared/catalog";
import { manifestKey } from "../../../lambdas/shared/keys";
import type { BackupManifest } from "../../../lambdas/shared/manifest";
import { parsePostgresUrl } from "../../../lambdas/shared/pgTarget";
import { findPgTool } from "../../../lambdas/shared/pgTools";
import type { Log } from "../../../lambdas/shared/ports";
import { runCli, spawnCli } from "../../helpers/cli";
import { createDatabase, loadSampleData, query, startPostgres, startS3, type EmbeddedPostgres, type EmbeddedS3 } from "../../helpers/embedded";
import { captureOutput, coldStart, embeddedAwsEnv, lambdaContext, restoreEnv } from "../../helpers/lambda";
import { running, stubbornPgRestore } from "../../helpers/stubbornTool";
import { putFixtureBackup, rewriteObject } from "../backupFixture";
import { s3Storage } from "../../../lambdas/shared/storage/s3";

const BUCKET = "cli-safety";
const PREFIX = "backups";
const PASSWORD = "pw-Cli-7f3e";
const QUIET: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe("CLI safeguards (real PostgreSQL and s3rver)", function () {
    this.timeout(240_000);
    let pg: EmbeddedPostgres;
    let s3server: EmbeddedS3;
    let s3: S3Client;
    let tempParent: string;
    const savedEnv = { ...process.env };

    /** A URL without the password: it has to come from the environment. */
    const bareUrl = (database: string, host = "127.0.0.1"): string => `postgres://postgres@${host}:${pg.port}/${database}`;
    const databaseExists = async (name: string): Promise<boolean> => (await query(pg.url(), "SELECT 1 FROM pg_database WHERE datname = $1", [name])).length > 0;
    const s3Args = (): string[] => ["--bucket", BUCKET, "--s3-endpoint", s3server.endpoint];
    const childEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...savedEnv, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", PGPASSWORD: PASSWORD, ...extra });

    before(async () => {
        [pg, s3server] = await Promise.all([startPostgres({ password: PASSWORD }), startS3()]);
        s3 = s3server.client();
        await s3server.createBucket(BUCKET);
        await createDatabase(pg.url(), "source");
        await loadSampleData(pg.url("source"), { scale: 0.02 });
        tempParent = await mkdtemp(join(tmpdir(), "cli-safety-"));
    });

    beforeEach(() => {
        process.env = { ...savedEnv, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };
        delete process.env.PGPASSWORD;
        delete process.env.PGPASSFILE;
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

    const fixture = (database: string, at: string) => putFixtureBackup({ s3, bucket: BUCKET, prefix: PREFIX, database, sourceUrl: pg.url("source"), binDir: pg.binDir, at: new Date(at) });

    describe("restore --latest / --before with an unusable newer backup", () => {
        it("refuses to fall back to an older backup when the newest manifest is corrupted, naming the newer backup", async () => {
            // given an older good backup and a newer one whose manifest was damaged
            await fixture("fallback", "2026-03-01T00:00:00Z");
            const newer = await fixture("fallback", "2026-03-02T00:00:00Z");
            await rewriteObject(s3, BUCKET, manifestKey(newer.manifest.key), (b) => b.subarray(0, 20));
            process.env.PGPASSWORD = PASSWORD;
            // when restore --latest runs
            const res = await runCli(restoreMain, [...s3Args(), "--database", "fallback", "--latest", "--target-url", bareUrl("from_fallback")]);
            // then it exits non-zero naming the newer backup and the flag, and creates nothing
            assert.equal(res.code, 1, res.out + res.err);
            assert.ok(res.err.includes(manifestKey(newer.manifest.key)), res.err);
            assert.match(res.err, /refusing to restore an older backup without --skip-unusable-newer/);
            assert.equal(await databaseExists("from_fallback"), false);
        });

        it("refuses --before when a backup in range lost its object, and restores the older one only with --skip-unusable-newer", async () => {
            // given an older good backup and a newer one whose dump object is gone
            const older = await fixture("gone", "2026-03-01T00:00:00Z");
            const newer = await fixture("gone", "2026-03-02T00:00:00Z");
            await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: newer.manifest.key }));
            process.env.PGPASSWORD = PASSWORD;
            const args = [...s3Args(), "--database", "gone", "--before", "2026-03-03T00:00:00Z", "--target-url", bareUrl("from_gone"), "--temp-dir", tempParent, "--json"];
            // when restore --before runs without and with the flag, and once with a time before the broken backup
            const refused = await runCli(restoreMain, args);
            const skipped = await runCli(restoreMain, [...args, "--skip-unusable-newer"]);
            const earlier = await runCli(restoreMain, [...s3Args(), "--database", "gone", "--before", "2026-03-01T12:00:00Z", "--target-url", bareUrl("from_gone_earlier"), "--json"]);
            // then the first refuses naming the newer backup, the second restores the older one with a warning, the third needs no flag
            assert.equal(refused.code, 1, refused.out + refused.err);
            assert.ok(refused.err.includes(`its dump object "${newer.manifest.key}" does not exist`), refused.err);
            assert.equal(skipped.code, 0, skipped.err);
            assert.equal((JSON.parse(skipped.out.trim().split("\n").pop() ?? "{}") as { key: string }).key, older.manifest.key);
            assert.match(skipped.err, /warning: skipping a newer, unusable backup \(--skip-unusable-newer\)/);
            assert.equal(earlier.code, 0, earlier.err);
        });
    });

    describe("passwords in messages", () => {
        const shapes = [
            (host: string) => `postgres://app:#Pr0dS3cret@${host}:5432/`,
            (host: string) => `postgres://app:2024?Pr0dS3cret@${host}:5432/orders`,
            (host: string) => `postgres://app:ab/Pr0dS3cret@${host}:5432/orders`,
            (host: string) => `postgres://app:x@y:Pr0dS3cret@${host}:5432/`,
        ];

        it("restore --target-url and drill --database-url never print a password holding # ? / @, and name the host", async () => {
            for (const shape of shapes) {
                const url = shape("db.example.com");
                // when each command is given the URL
                const restore = await runCli(restoreMain, [...s3Args(), "--database", "shop", "--latest", "--target-url", url]);
                const drill = await runCli(drillMain, ["--database-url", url, "--s3-endpoint", s3server.endpoint]);
                // then both refuse it, and the output has the host but no piece of the password
                for (const res of [restore, drill]) {
                    assert.equal(res.code, 2, `${url}: ${res.err}`);
                    assert.ok(!`${res.out}${res.err}`.includes("Pr0dS3cret"), `${url} leaked: ${res.err}`);
                    assert.ok(res.err.includes("db.example.com"), `${url}: host not named: ${res.err}`);
                }
            }
        });

        it("the dump function's log never holds a DATABASE_URL password holding # ? / @", async () => {
            for (const shape of shapes) {
                // given a cold-started dump function whose DATABASE_URL password holds a character that ends a URL part
                const handler = coldStart<(event: unknown, context: Context) => Promise<DumpResult>>(require.resolve("../../../lambdas/dump/handler"), {
                    BACKUP_BUCKET: BUCKET,
                    DATABASE_NAME: "shop",
                    DATABASE_URL: shape("127.0.0.1").replace(":5432", `:${pg.port}`),
                    KMS_KEY_ID: "alias/cli-safety",
                    PG_DUMP_PATH: join(pg.binDir, "pg_dump"),
                    ...embeddedAwsEnv(s3server.endpoint),
                });
                try {
                    // when it runs
                    const { error, lines } = await captureOutput(() => handler({}, lambdaContext()));
                    // then it fails, and neither its log nor its error holds the password
                    assert.ok(error instanceof Error);
                    assert.ok(lines.length > 0);
                    for (const line of lines) {
                        assert.ok(!line.includes("Pr0dS3cret"), `leaked: ${line}`);
                    }
                } finally {
                    restoreEnv();
                }
            }
        });
    });

    describe("passwords from the environment", () => {
        it("drill --database-url takes the password from PGPASSWORD", async () => {
            // given a database on a server that requires a password, and the password only in PGPASSWORD
            await createDatabase(pg.url(), "appdb");
            await query(pg.url("appdb"), "CREATE TABLE t (id int PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now()); INSERT INTO t (id) SELECT generate_series(1, 200)");
            process.env.PGPASSWORD = PASSWORD;
            // when the drill runs against it
            const res = await runCli(drillMain, ["--database-url", bareUrl("appdb"), "--s3-endpoint", s3server.endpoint, "--bucket", "drill-env", "--json"]);
            // then every check passes
            assert.equal(res.code, 0, res.err + res.out);
            const summary = JSON.parse(res.out.trim().split("\n").pop() ?? "{}") as DrillSummary;
            assert.equal(summary.ok, true);
        });

        it("restore --target-url takes the password from the password file (PGPASSFILE)", async () => {
            // given a 0600 password file with the server's password, and no PGPASSWORD
            await fixture("passfile", "2026-02-01T00:00:00Z");
            const passfile = join(tempParent, "pgpass");
            await writeFile(passfile, `# local\notherhost:*:*:*:wrong\n127.0.0.1:${pg.port}:*:postgres:${PASSWORD.replace(/:/g, "\\:")}\n`);
            await chmod(passfile, 0o600);
            process.env.PGPASSFILE = passfile;
            // when restore runs with a URL without a password
            const res = await runCli(restoreMain, [...s3Args(), "--database", "passfile", "--latest", "--target-url", bareUrl("from_passfile")]);
            // then it connects and restores
            assert.equal(res.code, 0, res.err);
            assert.equal(await databaseExists("from_passfile"), true);
        });
    });

    describe("restore --overwrite", () => {
        it("refuses to overwrite the backup's own source database (also as localhost), and names the sessions it ends", async () => {
            // given a live database backed up by the dump function, with a marker row written after the backup
            await createDatabase(pg.url(), "live");
            await query(pg.url("live"), "CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 50)");
            const manifest = await runDump(dumpSettings({ database: "live", bucket: BUCKET, prefix: PREFIX, pgDumpPath: findPgTool("pg_dump", pg.binDir) }), {
                s3,
                target: parsePostgresUrl(pg.url("live"), "url"),
                log: QUIET,
            });
            await query(pg.url("live"), "INSERT INTO orders VALUES (51)");
            process.env.PGPASSWORD = PASSWORD;
            const args = [...s3Args(), "--database", "live", "--key", manifest.key, "--target-url", bareUrl("live", "localhost"), "--overwrite"];
            // when restore --overwrite targets it
            const refused = await runCli(restoreMain, args);
            // then it refuses, naming the flag, and the newer row is still there
            assert.equal(refused.code, 1, refused.out + refused.err);
            assert.match(refused.err, /is the database this backup was taken from .*--overwrite-source/);
            assert.deepEqual(await query(pg.url("live"), "SELECT count(*)::int AS n FROM orders"), [{ n: 51 }]);
            // and a backup whose manifest does not record its source is not overwritten on a guess either
            const legacy = await putFixtureBackup({
                s3, bucket: BUCKET, prefix: PREFIX, database: "legacy", sourceUrl: pg.url("source"), binDir: pg.binDir,
                editManifest: ({ source: _source, ...m }) => m,
            });
            const unknown = await runCli(restoreMain, [...s3Args(), "--database", "legacy", "--key", legacy.manifest.key, "--target-url", bareUrl("live"), "--overwrite"]);
            assert.equal(unknown.code, 1, unknown.err);
            assert.match(unknown.err, /does not record which server it was taken from.*pass --overwrite-source/);
            assert.deepEqual(await query(pg.url("live"), "SELECT count(*)::int AS n FROM orders"), [{ n: 51 }]);

            // given a session of a reporting job on it
            const session = new Client({ connectionString: pg.url("live"), application_name: "report-job" });
            session.on("error", () => undefined);
            await session.connect();
            const pid = ((await session.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0] as { pid: number }).pid;
            try {
                // when the overwrite is confirmed with --overwrite-source
                const replaced = await runCli(restoreMain, [...args, "--overwrite-source"]);
                // then the session is named once the restored copy is complete, as the database is replaced, and the backup's data is back
                assert.equal(replaced.code, 0, replaced.err);
                assert.match(replaced.err, new RegExp(`ending session pid ${pid} user postgres application "report-job" from 127\\.0\\.0\\.1:\\d+`));
                const [finished, replacing, named] = ["pg_restore finished", "replacing the existing database", `pid ${pid}`].map((text) => replaced.err.indexOf(text));
                assert.ok(finished >= 0 && finished < (replacing ?? -1) && (replacing ?? -1) < (named ?? -1), replaced.err);
                assert.deepEqual(await query(pg.url("live"), "SELECT count(*)::int AS n FROM orders"), [{ n: 50 }]);
            } finally {
                await session.end().catch(() => undefined);
            }
        });
    });

    describe("listing past one page of 1,000 keys", () => {
        it("list and the backup catalog see backups beyond the first 1,000 keys", async () => {
            // given a backup, 1,100 other objects after it in key order, and a newer backup after those
            const first = await fixture("paged", "2026-04-01T00:00:00Z");
            const fillers = Array.from({ length: 1100 }, (_, i) => `${PREFIX}/paged/daily/2026/04/01/zz-filler-${String(i).padStart(4, "0")}.txt`);
            for (let i = 0; i < fillers.length; i += 50) {
                await Promise.all(fillers.slice(i, i + 50).map((Key) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: "x" }))));
            }
            const last = await fixture("paged", "2026-04-02T00:00:00Z");
            // when list runs and the catalog is read
            const listed = await runCli(listMain, [...s3Args(), "--database", "paged", "--json"]);
            const catalog = await listBackups(s3Storage({ client: s3, bucket: BUCKET, kmsKeyId: undefined }), { prefix: PREFIX, database: "paged" });
            // then both backups are found, the newest first
            assert.equal(listed.code, 0, listed.err);
            const keys = (JSON.parse(listed.out) as { backups: { key: string }[] }).backups.map((b) => b.key);
            assert.deepEqual(keys, [last.manifest.key, first.manifest.key]);
            assert.deepEqual(catalog.backups.map((b) => b.manifest.key), keys);
            assert.equal(selectBackup(catalog, { latest: true }).manifest.key, last.manifest.key);
        });
    });

    describe("backup", () => {
        it("--database-url dumps the database here, password from PGPASSWORD, and the backup is listed as on-demand", async () => {
            // given the password only in PGPASSWORD
            process.env.PGPASSWORD = PASSWORD;
            // when backup runs against the source database and the local S3
            const res = await runCli(backupMain, ["--database-url", bareUrl("source"), ...s3Args(), "--database", "adhoc", "--json"]);
            // then it prints the manifest, which list finds
            assert.equal(res.code, 0, res.err);
            const manifest = JSON.parse(res.out.trim().split("\n").pop() ?? "{}") as BackupManifest;
            assert.equal(manifest.trigger, "on-demand");
            assert.ok(manifest.tables.length > 5);
            const listed = await runCli(listMain, [...s3Args(), "--database", "adhoc", "--json"]);
            assert.deepEqual((JSON.parse(listed.out) as { backups: { key: string }[] }).backups.map((b) => b.key), [manifest.key]);
        });
    });

    describe("drill --keep", () => {
        it("leaves the throwaway PostgreSQL and S3 running for list and restore until Ctrl-C, then removes them", async () => {
            // given a drill run with --keep
            const cli = spawnCli(["drill", "--scale", "0.02", "--keep", "--json"], childEnv());
            await cli.waitFor(/try, in another terminal:[\s\S]*npm run cli -- restore .*--target-url \S+/);
            const summary = JSON.parse(cli.output().split("\n").find((l) => l.startsWith("{")) ?? "{}") as DrillSummary;
            const { postgresUrl, s3Endpoint, postgresDir, s3Dir } = summary.started;
            assert.ok(postgresUrl !== undefined && s3Endpoint !== undefined && postgresDir !== undefined && s3Dir !== undefined, cli.output());
            assert.ok(cli.output().includes("AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER"));
            // when list and restore run against what it printed
            const where = ["--bucket", summary.bucket, "--database", summary.database, "--s3-endpoint", s3Endpoint];
            const listed = await runCli(listMain, [...where, "--json"]);
            const restored = await runCli(restoreMain, [...where, "--latest", "--target-url", postgresUrl.replace(/\/[^/]*$/, "/kept_copy")]);
            // then both work on the drill's backup
            assert.equal(listed.code, 0, listed.err);
            assert.deepEqual((JSON.parse(listed.out) as { backups: { key: string }[] }).backups.map((b) => b.key), [summary.key]);
            assert.equal(restored.code, 0, restored.err);
            // and Ctrl-C then stops and removes both, with the drill's own exit code
            cli.interrupt();
            const { code } = await cli.exited;
            assert.equal(code, 0, cli.output());
            assert.equal(existsSync(postgresDir), false);
            assert.equal(existsSync(s3Dir), false);
        });
    });

    describe("interrupts", () => {
        async function interruptedRestore(times: 1 | 2): Promise<void> {
            // given a backup and a pg_restore that ignores SIGTERM and hangs, as a wedged one does
            const backup = await fixture(`intr${times}`, "2026-05-01T00:00:00Z");
            const stubborn = await stubbornPgRestore(pg.binDir);
            const temp = await mkdtemp(join(tempParent, "interrupt-"));
            const target = `intr_restore_${times}`;
            try {
                // when restore runs as its own process and gets Ctrl-C `times` times once pg_restore started
                const cli = spawnCli(
                    ["restore", ...s3Args(), "--database", `intr${times}`, "--key", backup.manifest.key, "--target-url", bareUrl(target), "--temp-dir", temp],
                    childEnv({ PG_BIN: stubborn.binDir }),
                );
                await cli.waitFor(/database created; running pg_restore/);
                await stubborn.pids().catch(async () => new Promise((r) => setTimeout(r, 500)));
                cli.interrupt();
                if (times === 2) {
                    await cli.waitFor(/SIGINT received: stopping the restore/);
                    cli.interrupt();
                    await cli.waitFor(/SIGINT received again: still stopping/);
                }
                const { code } = await cli.exited;
                // then it exits 130 saying what it removed, and no database, temp file or pg_restore is left
                assert.equal(code, 130, cli.output());
                assert.match(cli.output(), new RegExp(`interrupted: database ${target} \\(created by this restore\\) was dropped and the downloaded file removed; nothing is left behind`));
                assert.equal(await databaseExists(target), false);
                assert.deepEqual(await readdir(temp), []);
                for (const pid of await stubborn.pids()) {
                    assert.equal(await running(pid), false, `pg_restore ${pid} still runs`);
                }
            } finally {
                await stubborn.removeAndKill();
            }
        }

        it("one Ctrl-C during pg_restore stops it, drops the half-restored database and removes the download", () => interruptedRestore(1));

        it("two Ctrl-C during pg_restore still finish the cleanup before exiting", () => interruptedRestore(2));

        it("the drill starts no new step after Ctrl-C, and two of them still remove everything it started", async () => {
            // given the drill running as its own process, verifying its backup
            const cli = spawnCli(["drill", "--scale", "0.05"], childEnv());
            await cli.waitFor(/\[5\/6\] verifying/);
            const started = [/data in (\S+)/, /objects in (\S+)/].map((re) => re.exec(cli.output())?.[1] ?? "");
            // when it gets Ctrl-C twice, the second while it cleans up after the first
            cli.interrupt();
            await cli.waitFor(/SIGINT received; stopping and cleaning up/);
            cli.interrupt();
            const { code } = await cli.exited;
            // then it exits 130, started nothing after the first, and its PostgreSQL and S3 directories are gone
            const output = cli.output();
            assert.equal(code, 130, output);
            const afterInterrupt = output.slice(output.indexOf("SIGINT received"));
            assert.doesNotMatch(afterInterrupt, /\[6\/6\]|restoring into a new database/, output);
            assert.match(afterInterrupt, /SIGINT received again; /);
            assert.match(afterInterrupt, /interrupted; everything the drill started was stopped and removed/);
            for (const dir of started) {
                assert.ok(dir !== "" && !existsSync(dir), `${dir} is still there:\n${output}`);
            }
        });
    });
});
