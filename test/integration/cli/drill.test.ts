import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:net";
import { main as drillMain, runDrill } from "../../../cli/drill";
import { Resources } from "../../../cli/drill/resources";
import type { DrillSummary } from "../../../cli/drill/summary";
import { main as listMain } from "../../../cli/list";
import { main as restoreMain } from "../../../cli/restore";
import { listBackups } from "../../../lambdas/shared/catalog";
import { parsePostgresUrl } from "../../../lambdas/shared/pgTarget";
import { AZURITE_ACCOUNT_KEY, createDatabase, freePort, loadSampleData, query, startAzurite, startPostgres, startS3 } from "../../helpers/embedded";
import { runCli } from "../../helpers/cli";
import { s3Storage } from "../../../lambdas/shared/storage/s3";

const ROOT = join(__dirname, "..", "..", "..");

function lastJson(out: string): DrillSummary {
    const line = out.trim().split("\n").pop() ?? "";
    return JSON.parse(line) as DrillSummary;
}

/** The drill exited 0 and its JSON summary holds every step's checks, all passed. */
function passedEveryStep(res: { readonly code: number; readonly out: string; readonly err: string }): DrillSummary {
    assert.equal(res.code, 0, res.err + res.out);
    const summary = lastJson(res.out);
    assert.equal(summary.ok, true);
    const names = summary.checks.map((c) => c.name);
    for (const expected of ["dump", "export", "verify.freshness", "verify.checksum", "verify.size", "verify.restore", "verify.rowCounts", "verify.rto", "verify.cleanup", "restore.rowCounts", "restore.content", "restore.rto"]) {
        assert.ok(names.includes(expected), `missing check ${expected} in ${names.join(", ")}`);
    }
    return summary;
}

describe("drill (end to end, real PostgreSQL and s3rver)", function () {
    this.timeout(180_000);
    const savedEnv = { ...process.env };

    afterEach(() => {
        process.env = { ...savedEnv };
    });

    it("runs dump -> export -> verify -> restore on a small sample, passes every check and removes what it started", async () => {
        // given no endpoints, so the drill starts its own PostgreSQL and s3rver
        // when it runs on a small sample with --json
        const res = await runCli(drillMain, ["--scale", "0.05", "--json", "--rto-minutes", "30"]);
        // then it exits 0, every check passed, and the last line is the JSON summary
        const summary = passedEveryStep(res);
        assert.ok(summary.checks.every((c) => c.ok));
        assert.equal(summary.rtoSeconds, 1800);
        assert.ok((summary.sizeBytes ?? 0) > 100_000 && /^[0-9a-f]{64}$/.test(summary.sha256 ?? ""));
        assert.ok((summary.rows ?? 0) > 10_000);
        // and the human summary and progress were shown
        assert.match(res.out, /drill summary[\s\S]*restore\.content\s+pass[\s\S]*drill passed/);
        assert.match(res.err, /\[1\/6\] starting a throwaway PostgreSQL[\s\S]*\[4\/6\] exporting tables[\s\S]*\[6\/6\] restoring into a new database/);
        // and the throwaway servers' directories are gone
        assert.ok(summary.started.postgresDir !== undefined && summary.started.s3Dir !== undefined);
        assert.equal(existsSync(summary.started.postgresDir), false);
        assert.equal(existsSync(summary.started.s3Dir), false);
    });

    it("runs against a given database and S3 endpoint, leaving the backup and dropping the databases it created", async () => {
        // given a PostgreSQL and an S3 server the drill did not start
        const pg = await startPostgres();
        const s3server = await startS3();
        const s3 = s3server.client();
        try {
            await createDatabase(pg.url(), "appdb");
            await loadSampleData(pg.url("appdb"), { scale: 0.02 });
            Object.assign(process.env, { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" });
            // when the drill runs against them
            const res = await runCli(drillMain, ["--database-url", pg.url("appdb"), "--s3-endpoint", s3server.endpoint, "--bucket", "given-bucket", "--json"]);
            // then it passes, the backup stays listed in the bucket, and no scratch or restored database is left
            assert.equal(res.code, 0, res.err + res.out);
            const summary = lastJson(res.out);
            assert.equal(summary.database, "appdb");
            assert.deepEqual(summary.started, {});
            const catalog = await listBackups(s3Storage({ client: s3, bucket: "given-bucket", kmsKeyId: undefined }), { prefix: "backups", database: "appdb" });
            assert.deepEqual(catalog.backups.map((b) => b.manifest.key), [summary.key]);
            const leftovers = await query<{ datname: string }>(pg.url(), "SELECT datname FROM pg_database WHERE datname LIKE 'verify\\_%' OR datname LIKE 'drill\\_%'");
            assert.deepEqual(leftovers, []);
        } finally {
            s3.destroy();
            await s3server.stop();
            await pg.stop();
        }
    });

    it("with --database-url restores under a name with a random suffix, and leaves a database of that name it did not create alone", async () => {
        // given a small database, and another drill that creates the very restore database name this one announces, before it restores
        const pg = await startPostgres();
        try {
            await createDatabase(pg.url(), "small");
            await query(pg.url("small"), "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100)");
            const psql = (url: string, sql: string): void => void execFileSync(join(pg.binDir, "psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]);
            let restoreName: string | undefined;
            const lines: string[] = [];
            const progress = (line: string): void => {
                lines.push(line);
                const m = /restoring into a new database (\S+)/.exec(line);
                if (m?.[1] !== undefined) {
                    restoreName = m[1];
                    psql(pg.url(), `CREATE DATABASE ${restoreName}`);
                    psql(pg.url(restoreName), "CREATE TABLE other_drill (id int); INSERT INTO other_drill VALUES (7)");
                }
            };
            // when the drill runs against it and cleans up
            const resources = new Resources();
            const summary = await runDrill({ source: parsePostgresUrl(pg.url("small"), "url"), bucket: "pg-backup-drill", rtoSeconds: 3600, rpoSeconds: 86_400, scale: 1, keep: false, verbose: false, json: false }, progress, resources);
            await resources.cleanup(progress);
            // then the name carries a random suffix, the restore refused the existing database, and the other drill's database is untouched
            assert.match(restoreName ?? "", /^drill_restore_\d{14}_[0-9a-f]{6}$/);
            assert.equal(summary.ok, false);
            assert.match(summary.error ?? "", /database "drill_restore_\d{14}_[0-9a-f]{6}" already exists/);
            assert.deepEqual(await query(pg.url(restoreName), "SELECT id FROM other_drill"), [{ id: 7 }]);
            assert.ok(!lines.some((l) => l.includes("restored database")), lines.join("\n"));
        } finally {
            await pg.stop();
        }
    });

    it("exits 1 against an S3 endpoint nothing listens on, with the reason, and still cleans up", async () => {
        // given an endpoint on a closed port
        const port = await freePort();
        Object.assign(process.env, { AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "x", AWS_MAX_ATTEMPTS: "1" });
        // when the drill runs against it
        const res = await runCli(drillMain, ["--scale", "0.01", "--json", "--s3-endpoint", `http://127.0.0.1:${port}`]);
        // then it fails with the cause named, and the PostgreSQL it started is gone
        assert.equal(res.code, 1);
        const summary = lastJson(res.out);
        assert.equal(summary.ok, false);
        assert.match(summary.error ?? "", /cannot create or reach bucket pg-backup-drill/);
        assert.match(res.out, /drill FAILED \(drill\)/);
        assert.ok(summary.started.postgresDir !== undefined);
        assert.equal(existsSync(summary.started.postgresDir), false);
    });

    it("with --cloud azure runs the same steps and checks on Azurite, and list and restore read the container", async () => {
        // given no endpoints, so the drill starts its own PostgreSQL and Azurite, kept running to try list and restore
        const pg = await startPostgres();
        const azurite = await startAzurite();
        try {
            await createDatabase(pg.url(), "appdb");
            await loadSampleData(pg.url("appdb"), { scale: 0.02 });
            Object.assign(process.env, { AZURE_BLOB_LOCAL_ACCOUNT_KEY: AZURITE_ACCOUNT_KEY });
            // when the drill runs against the given database and Azurite
            const res = await runCli(drillMain, ["--cloud", "azure", "--database-url", pg.url("appdb"), "--blob-endpoint", azurite.endpoint, "--container", "drills", "--json"]);
            // then every check of the S3 drill ran and passed, and the backup went to the container
            const summary = passedEveryStep(res);
            assert.equal(summary.location, `${azurite.endpoint}/drills`);
            assert.match(res.out, new RegExp(`backup +${azurite.endpoint}/drills/backups/appdb/`));
            // and list finds that backup in the container
            const listed = await runCli(listMain, ["--cloud", "azure", "--blob-endpoint", azurite.endpoint, "--container", "drills", "--database", "appdb", "--json"]);
            assert.equal(listed.code, 0, listed.err);
            const catalog = JSON.parse(listed.out) as { backups: { key: string }[] };
            assert.deepEqual(catalog.backups.map((b) => b.key), [summary.key]);
            // and restore brings it back into a new database
            const restored = await runCli(restoreMain, ["--cloud", "azure", "--blob-endpoint", azurite.endpoint, "--container", "drills", "--database", "appdb", "--latest", "--target-url", pg.url("appdb_from_blob")]);
            assert.equal(restored.code, 0, restored.err + restored.out);
            assert.match(restored.out, new RegExp(`restoring ${azurite.endpoint}/drills/backups/appdb/`));
        } finally {
            await azurite.stop();
            await pg.stop();
        }
    });

    it("with --cloud azure and no endpoint starts a throwaway Azurite and stops it again", async () => {
        const res = await runCli(drillMain, ["--cloud", "azure", "--scale", "0.02", "--json"]);
        assert.equal(res.code, 0, res.err + res.out);
        const summary = lastJson(res.out);
        assert.ok(summary.checks.every((c) => c.ok));
        const port = Number(new URL(summary.started.blobEndpoint ?? "http://x").port);
        assert.ok(port > 0);
        await assert.rejects(
            new Promise<void>((resolve, reject) => {
                const socket = connect(port, "127.0.0.1", () => {
                    socket.destroy();
                    resolve();
                });
                socket.once("error", reject);
            }),
        );
    });

    it("refuses bad arguments with exit code 2", async () => {
        const res = await runCli(drillMain, ["--rto-minutes", "0"]);
        assert.equal(res.code, 2);
        assert.match(res.err, /--rto-minutes: "0" is not allowed; expected an integer 1\.\.44640/);
        const format = await runCli(drillMain, ["--dump-format", "tar"]);
        assert.equal(format.code, 2);
        assert.match(format.err, /--dump-format: "tar" is not allowed; expected custom or directory/);
    });

    it("with --dump-format directory dumps in parallel and passes every check", async () => {
        // given no endpoints; when the drill runs a directory-format dump with two workers
        const res = await runCli(drillMain, ["--scale", "0.05", "--json", "--verbose", "--dump-format", "directory", "--dump-jobs", "2"]);
        // then it exits 0 with every check passed, verify and restore included, after uploading pg_dump's files
        assert.equal(res.code, 0, res.err + res.out);
        const summary = lastJson(res.out);
        assert.equal(summary.ok, true, JSON.stringify(summary.checks));
        assert.ok(summary.checks.some((c) => c.name === "restore.content" && c.ok));
        assert.match(res.out + res.err, /pg_dump finished; uploading its remaining files/);
    });

    it("on Ctrl-C stops, removes what it started and exits 130", async () => {
        // given the drill running as `npm run drill` does, in its own process
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "cli/main.ts", "drill", "--scale", "0.5"], {
            cwd: ROOT,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        const dataDir = await new Promise<string>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no progress within 90 s: ${stderr}`)), 90_000);
            child.stderr.setEncoding("utf8");
            child.stderr.on("data", (chunk: string) => {
                stderr += chunk;
                const m = /data in (\S+)/.exec(stderr);
                if (m?.[1] !== undefined && stderr.includes("[2/6]")) {
                    clearTimeout(timer);
                    resolve(m[1]);
                }
            });
            child.once("exit", () => reject(new Error(`drill exited early: ${stderr}`)));
        });
        // when it is interrupted while loading the sample
        const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
        child.kill("SIGINT");
        const code = await exited;
        // then it exits 130 and its PostgreSQL directory is gone
        assert.equal(code, 130, stderr);
        assert.match(stderr, /SIGINT received; stopping and cleaning up/);
        assert.equal(existsSync(dataDir), false);
    });
});
