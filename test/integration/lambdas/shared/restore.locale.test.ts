import { strict as assert } from "node:assert";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { runDump } from "../../../../lambdas/dump/dump";
import { dumpSettings } from "../../../../lambdas/dump/settings";
import { readDatabaseLocale, type DatabaseLocale } from "../../../../lambdas/shared/databaseLocale";
import type { BackupManifest } from "../../../../lambdas/shared/manifest";
import { parsePostgresUrl } from "../../../../lambdas/shared/pgTarget";
import { restoreBackup } from "../../../../lambdas/shared/restore";
import { TargetLocaleError } from "../../../../lambdas/shared/restoreErrors";
import type { RestoreOptions } from "../../../../lambdas/shared/restoreOptions";
import { startPostgres, startS3, type EmbeddedPostgres, type EmbeddedS3 } from "../../../helpers/embedded";
import { putFixtureBackup } from "../../backupFixture";
import { RecordingLog } from "../../../helpers/recorders";

const BUCKET = "restore-locale";

/**
 * Source databases whose encoding or locale is not the server's default (UTF8, C). Restored into
 * the server's default, each would come back different: LATIN1 text converted to UTF8, SQL_ASCII's
 * bytes stored unchecked in a UTF8 database, ICU and C.UTF-8 ordering replaced by C's.
 */
const SOURCES: readonly { readonly name: string; readonly create: string }[] = [
    { name: "latin1", create: "ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'" },
    { name: "sqlascii", create: "ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'" },
    { name: "cutf8", create: "ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" },
    { name: "icu_de", create: "ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'de' LC_COLLATE 'C' LC_CTYPE 'C'" },
];

/** Rows of text whose bytes and order depend on the encoding and the collation. */
function rowsFor(name: string): string {
    if (name === "sqlascii") {
        // Bytes no UTF8 database accepts: a SQL_ASCII database stores them as they are.
        return "INSERT INTO words (w) VALUES (E'\\\\xff\\\\xfe caf\\\\xe9'), ('b'), ('A'), ('a'), ('B')";
    }
    return "INSERT INTO words (w) VALUES ('été'), ('Ärger'), ('b'), ('A'), ('a'), ('B'), ('zebra'), ('Zürich')";
}

describe("restore creates the database with the source's encoding and locale (real PostgreSQL 15, s3rver)", function () {
    this.timeout(120_000);
    let pg: EmbeddedPostgres;
    let s3: EmbeddedS3;
    let temp: string;
    const manifests = new Map<string, BackupManifest>();

    async function sql<T extends object>(database: string, text: string): Promise<T[]> {
        const client = new Client({ connectionString: pg.url(database) });
        await client.connect();
        try {
            return (await client.query<T>(text)).rows;
        } finally {
            await client.end();
        }
    }

    async function localeOf(database: string): Promise<DatabaseLocale> {
        const client = new Client({ connectionString: pg.url("postgres") });
        await client.connect();
        try {
            return await readDatabaseLocale(client, database);
        } finally {
            await client.end();
        }
    }

    /** The words' bytes in the database's own encoding, in the database's order: equal only if both bytes and collation survived. */
    async function fingerprint(database: string): Promise<{ bytes: string; order: string }> {
        const [row] = await sql<{ bytes: string; order: string }>(
            database,
            "SELECT md5(string_agg(w, '|' ORDER BY id)) AS bytes, md5(string_agg(w, '|' ORDER BY w, id)) AS order FROM words",
        );
        assert.ok(row !== undefined);
        return row;
    }

    function restoreOptions(manifest: BackupManifest, database: string, log: RecordingLog, extra: Partial<RestoreOptions> = {}): RestoreOptions {
        return { s3: s3.client(), bucket: BUCKET, manifest, target: parsePostgresUrl(pg.url(database), "target"), binDir: pg.binDir, tempDir: temp, jobs: 2, log, ...extra };
    }

    function manifestOf(name: string): BackupManifest {
        const m = manifests.get(name);
        assert.ok(m !== undefined, `no backup of ${name}`);
        return m;
    }

    before(async function () {
        this.timeout(180_000);
        [pg, s3] = await Promise.all([startPostgres(), startS3()]);
        await s3.createBucket(BUCKET);
        temp = await mkdtemp(join(tmpdir(), "pgbs-restore-locale-"));
        for (const source of SOURCES) {
            await sql("postgres", `CREATE DATABASE ${source.name} TEMPLATE template0 ${source.create}`);
            await sql(source.name, `CREATE TABLE words (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, w text NOT NULL); ${rowsFor(source.name)}`);
            const manifest = await runDump(dumpSettings({ database: source.name, bucket: BUCKET, pgDumpPath: join(pg.binDir, "pg_dump") }), {
                s3: s3.client(),
                target: parsePostgresUrl(pg.url(source.name), "source"),
                log: new RecordingLog(),
            });
            manifests.set(source.name, manifest);
        }
    });

    after(async () => {
        await s3?.stop();
        await pg?.stop();
        if (temp !== undefined) {
            await rm(temp, { recursive: true, force: true });
        }
    });

    for (const source of SOURCES) {
        it(`${source.name}: the restored database has the source's encoding and locale, with the same bytes and order`, async () => {
            const sourceLocale = await localeOf(source.name);
            assert.notDeepEqual(sourceLocale, await localeOf("template0"), "the source must differ from the server's default for the test to mean anything");

            const result = await restoreBackup(restoreOptions(manifestOf(source.name), `r_${source.name}`, new RecordingLog()));

            assert.equal(result.rowCountsMatch, true);
            assert.deepEqual(await localeOf(`r_${source.name}`), sourceLocale);
            assert.deepEqual(result.locale, sourceLocale);
            assert.deepEqual(await fingerprint(`r_${source.name}`), await fingerprint(source.name));
        });
    }

    it("a directory-format dump restores with the source's encoding and locale too", async () => {
        const manifest = await runDump(dumpSettings({ database: "latin1", bucket: BUCKET, prefix: "dir", format: "directory", jobs: 2, pgDumpPath: join(pg.binDir, "pg_dump") }), {
            s3: s3.client(),
            target: parsePostgresUrl(pg.url("latin1"), "source"),
            log: new RecordingLog(),
        });

        await restoreBackup(restoreOptions(manifest, "r_latin1_dir", new RecordingLog()));

        assert.deepEqual(await localeOf("r_latin1_dir"), await localeOf("latin1"));
        assert.deepEqual(await fingerprint("r_latin1_dir"), await fingerprint("latin1"));
    });

    describe("the source database's own properties", () => {
        const settingsOf = async (database: string, role?: string): Promise<string[]> =>
            (
                await sql<{ s: string[] }>(
                    "postgres",
                    `SELECT s.setconfig AS s FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE s.setrole = ${role === undefined ? "0" : `'${role}'::regrole`} AND d.datname = '${database}'`,
                )
            )[0]?.s ?? [];
        const databaseOf = async (database: string): Promise<{ limit: number; comment: string | null; acl: string | null }> => {
            const [row] = await sql<{ limit: number; comment: string | null; acl: string | null }>(
                "postgres",
                `SELECT datconnlimit AS limit, shobj_description(oid, 'pg_database') AS comment, datacl::text AS acl FROM pg_database WHERE datname = '${database}'`,
            );
            assert.ok(row !== undefined);
            return row;
        };

        before(async () => {
            await sql("postgres", "CREATE DATABASE settings TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' CONNECTION LIMIT 7");
            await sql("settings", "CREATE TABLE words (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, w text NOT NULL); INSERT INTO words (w) VALUES ('a'), ('b')");
            for (const setting of [
                // A list whose element has a space, a custom setting with a quote, and one that would stop pg_restore if it came first.
                `search_path = 'odd schema', public`,
                `"app.tenant" = 'o''brien; x'`,
                `default_transaction_read_only = on`,
                `work_mem = '8MB'`,
                // Every session of the tool sets its own timeouts first, so this keeps none of them out.
                `statement_timeout = '1ms'`,
                // Not ASCII in a LATIN1 archive: not carried over, and named.
                `"app.greeting" = 'café'`,
            ]) {
                await sql("postgres", `ALTER DATABASE settings SET ${setting}`);
            }
            await sql("postgres", "CREATE ROLE restorer LOGIN CREATEDB; ALTER ROLE restorer IN DATABASE settings SET work_mem = '16MB'");
            await sql("postgres", "COMMENT ON DATABASE settings IS 'the shop''s; data'; REVOKE ALL ON DATABASE settings FROM PUBLIC; GRANT CONNECT ON DATABASE settings TO restorer");
            manifests.set(
                "settings",
                await runDump(dumpSettings({ database: "settings", bucket: BUCKET, pgDumpPath: join(pg.binDir, "pg_dump") }), {
                    s3: s3.client(),
                    target: parsePostgresUrl(pg.url("settings"), "source"),
                    log: new RecordingLog(),
                }),
            );
            await sql("postgres", "ALTER DATABASE settings RESET default_transaction_read_only");
        });

        it("are carried over once the data is in and counted, and what cannot be is named", async () => {
            const log = new RecordingLog();
            const result = await restoreBackup(restoreOptions(manifestOf("settings"), "r_settings", log));

            assert.equal(result.rowCountsMatch, true);
            assert.deepEqual(
                (await settingsOf("r_settings")).sort(),
                [`app.tenant=o'brien; x`, "default_transaction_read_only=on", `search_path="odd schema", public`, "work_mem=8MB", "statement_timeout=1ms"].sort(),
            );
            assert.deepEqual(await settingsOf("r_settings", "restorer"), ["work_mem=16MB"]);
            const [source, restored] = [await databaseOf("settings"), await databaseOf("r_settings")];
            assert.deepEqual({ limit: restored.limit, comment: restored.comment }, { limit: 7, comment: "the shop's; data" });
            // The same grants, the owner aside (the restoring user owns the copy: --no-owner).
            assert.match(source.acl ?? "", /^\{postgres=CTc\/postgres,restorer=c\/postgres\}$/);
            assert.equal(restored.acl, source.acl);
            assert.deepEqual(result.properties.notApplied, [`ALTER DATABASE settings SET "app.greeting" TO ...: characters outside ASCII in the archive's LATIN1 encoding`]);
            // Settings are named without their values, which may be secrets.
            assert.ok(result.properties.applied.includes(`ALTER DATABASE "r_settings" SET "app.tenant" TO ...`), result.properties.applied.join("\n"));
            assert.doesNotMatch(JSON.stringify([result.properties, log.entries]), /brien/);
            assert.equal(log.entries.filter((e) => e.level === "warn" && /was not carried over/.test(e.message)).length, 1);
        });

        it("one the restoring user may not set is named with the server's reason, and the restore still succeeds", async () => {
            await sql("postgres", "ALTER DATABASE settings SET log_min_duration_statement = 0");
            const manifest = await runDump(dumpSettings({ database: "settings", bucket: BUCKET, prefix: "superuser", pgDumpPath: join(pg.binDir, "pg_dump") }), {
                s3: s3.client(),
                target: parsePostgresUrl(pg.url("settings"), "source"),
                log: new RecordingLog(),
            });
            const asRestorer = { ...parsePostgresUrl(pg.url("r_settings_restorer"), "target"), user: "restorer" };

            const result = await restoreBackup({ ...restoreOptions(manifest, "r_settings_restorer", new RecordingLog()), target: asRestorer });

            assert.equal(result.rowCountsMatch, true);
            assert.match(result.properties.notApplied.join("\n"), /log_min_duration_statement.*permission denied/);
            assert.ok((await settingsOf("r_settings_restorer")).includes("work_mem=8MB"));
        });

        it("a setting that keeps every new session out is reset with the others, and the database stays usable", async () => {
            // given a source whose sessions preload a library, in an archive edited to name one the target lacks
            await sql("postgres", "CREATE DATABASE preload");
            await sql("preload", "CREATE TABLE t (id int); INSERT INTO t VALUES (1)");
            await sql("postgres", "ALTER DATABASE preload SET session_preload_libraries = 'auto_explain'; ALTER DATABASE preload SET work_mem = '8MB'; ALTER ROLE postgres IN DATABASE preload SET work_mem = '4MB'");
            const fixture = await putFixtureBackup({
                s3: s3.client(),
                bucket: BUCKET,
                prefix: "preload",
                database: "preload",
                sourceUrl: pg.url("preload"),
                binDir: pg.binDir,
                editArchive: (archive) => {
                    const at = archive.indexOf(Buffer.from("'auto_explain'"));
                    assert.ok(at > 0, "the archive holds the setting");
                    const edited = Buffer.from(archive);
                    Buffer.from("'no_such_lib!'").copy(edited, at);
                    return edited;
                },
            });

            const result = await restoreBackup(restoreOptions(fixture.manifest, "r_preload", new RecordingLog()));

            assert.equal(result.rowCountsMatch, true);
            assert.deepEqual(result.properties.applied, []);
            assert.equal(result.properties.notApplied.length, 3);
            assert.ok(result.properties.notApplied.every((n) => /reset with the others, because with them a new session could not start \(.*no_such_lib!/.test(n)), result.properties.notApplied.join("\n"));
            assert.deepEqual(await settingsOf("r_preload"), []);
            assert.deepEqual(await settingsOf("r_preload", "postgres"), []);
            assert.deepEqual(await sql("r_preload", "SELECT id FROM t"), [{ id: 1 }]);
        });
    });

    describe("a target server without the backup's locale", () => {
        let missing: BackupManifest;
        const exists = async (database: string): Promise<boolean> => (await sql<{ n: string }>("postgres", `SELECT count(*) AS n FROM pg_database WHERE datname = '${database}'`))[0]?.n === "1";

        before(async () => {
            // The archive's CREATE DATABASE, in its uncompressed table of contents, edited to name a locale no server has.
            const fixture = await putFixtureBackup({
                s3: s3.client(),
                bucket: BUCKET,
                prefix: "missing",
                database: "cutf8",
                sourceUrl: pg.url("cutf8"),
                binDir: pg.binDir,
                editArchive: (archive) => {
                    const from = Buffer.from("LOCALE = 'C.UTF-8'");
                    const at = archive.indexOf(from);
                    assert.ok(at > 0, "the archive names its locale");
                    const edited = Buffer.from(archive);
                    Buffer.from("LOCALE = 'X.UTF-8'").copy(edited, at);
                    return edited;
                },
            });
            missing = fixture.manifest;
        });

        it("is refused with the locale named and no database left behind", async () => {
            await assert.rejects(
                restoreBackup(restoreOptions(missing, "r_missing", new RecordingLog())),
                (err: unknown) => err instanceof TargetLocaleError && /X\.UTF-8/.test(err.message) && /C locale/.test(err.message),
            );
            assert.equal(await exists("r_missing"), false);
        });

        it("with overwrite, leaves the existing database as it was", async () => {
            await sql("postgres", "CREATE DATABASE r_kept");
            await sql("r_kept", "CREATE TABLE still_here (id int); INSERT INTO still_here VALUES (1)");

            await assert.rejects(restoreBackup(restoreOptions(missing, "r_kept", new RecordingLog(), { overwrite: true })), (err: unknown) => err instanceof TargetLocaleError && /left as it was/.test(err.message));

            assert.deepEqual(await sql("r_kept", "SELECT id FROM still_here"), [{ id: 1 }]);
            assert.deepEqual(await sql("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'r\\_kept\\_restoring\\_%'"), []);
        });

        it("with cLocale, restores with the backup's encoding and the C locale", async () => {
            const result = await restoreBackup(restoreOptions(missing, "r_c_locale", new RecordingLog(), { cLocale: true }));

            assert.equal(result.rowCountsMatch, true);
            assert.deepEqual(await localeOf("r_c_locale"), { encoding: "UTF8", collate: "C", ctype: "C", provider: "libc" });
            assert.equal((await fingerprint("r_c_locale")).bytes, (await fingerprint("cutf8")).bytes);
        });
    });
});
