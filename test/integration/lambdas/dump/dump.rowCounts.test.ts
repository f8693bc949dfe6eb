import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ArchiveRowReader } from "../../../../lambdas/dump/archiveRows";
import { runDump } from "../../../../lambdas/dump/dump";
import { dumpSettings, type DumpSettingsInput } from "../../../../lambdas/dump/settings";
import { InvalidArchiveError } from "../../../../lambdas/dump/errors";
import type { BackupManifest, TableCount } from "../../../../lambdas/shared/manifest";
import { parsePostgresUrl } from "../../../../lambdas/shared/pgTarget";
import { createDatabase, query, startPostgres, startS3, type EmbeddedPostgres, type EmbeddedS3 } from "../../../helpers/embedded";
import { listKeys, RecordingLog, RecordingMetrics } from "../../../helpers/recorders";
import { Client } from "pg";
import { restoreBackup } from "../../../../lambdas/shared/restore";
import { contentChecksums } from "../../backupFixture";

const execFileAsync = promisify(execFile);
const BUCKET = "rowcount-test-bucket";
const MiB = 1024 * 1024;
const ODD_SCHEMA = 'Odd "Schema" ü';
const ODD_TABLE = "tab\tand\nnewline";

/** Tables whose COPY text is hard to count: escapes, binary, huge rows, no columns, partitions, inheritance; a large object bigger than a compressed block, and an empty one. */
const UNFRIENDLY = `
    CREATE SCHEMA "Odd ""Schema"" ü";
    CREATE TABLE "Odd ""Schema"" ü"."tab	and
newline" (id int, v text);
    INSERT INTO "Odd ""Schema"" ü"."tab	and
newline" VALUES (1, E'a\\nb'), (2, E'c\\td'), (3, E'\\\\'), (4, E'\\\\.'), (5, '\\.'), (6, NULL), (7, E'\\r\\n'), (8, '');
    CREATE TABLE empty_one (id int);
    CREATE TABLE no_columns ();
    INSERT INTO no_columns SELECT FROM generate_series(1, 5);
    CREATE TABLE bin (id int, b bytea);
    INSERT INTO bin SELECT g, decode(string_agg(lpad(to_hex((random() * 255)::int), 2, '0'), ''), 'hex')
      FROM generate_series(1, 200) g, generate_series(1, 300) x GROUP BY g;
    INSERT INTO bin VALUES (0, E'\\\\x0a5c0d092e'::bytea);
    CREATE TABLE big_rows (id int, v text);
    INSERT INTO big_rows SELECT g, repeat(E'line\\n\\\\', 3 * 1024 * 1024 / 7) FROM generate_series(1, 3) g;
    CREATE TABLE many_chunks AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 60000) g;
    CREATE TABLE parts (id int, k int) PARTITION BY RANGE (k);
    CREATE TABLE parts_low PARTITION OF parts FOR VALUES FROM (0) TO (10);
    CREATE TABLE parts_high PARTITION OF parts FOR VALUES FROM (10) TO (20) PARTITION BY RANGE (k);
    CREATE TABLE parts_high_a PARTITION OF parts_high FOR VALUES FROM (10) TO (15);
    CREATE TABLE parts_high_b PARTITION OF parts_high FOR VALUES FROM (15) TO (20);
    CREATE TABLE parts_other PARTITION OF parts DEFAULT;
    INSERT INTO parts SELECT g, g % 30 FROM generate_series(1, 1000) g;
    CREATE TABLE parent (id int);
    CREATE TABLE child () INHERITS (parent);
    CREATE TABLE grandchild () INHERITS (child);
    INSERT INTO parent SELECT generate_series(1, 10);
    INSERT INTO child SELECT generate_series(1, 20);
    INSERT INTO grandchild SELECT generate_series(1, 40);
    CREATE UNLOGGED TABLE scratch AS SELECT generate_series(1, 77) AS id;
    CREATE MATERIALIZED VIEW mv AS SELECT * FROM many_chunks;
    SELECT lo_from_bytea(0, decode(repeat('0a5c', 600000), 'hex'));
    SELECT lo_from_bytea(0, ''::bytea);
`;

describe("row counts from the dump's own data (real PostgreSQL 15, s3rver)", function () {
    this.timeout(120_000);

    let pg: EmbeddedPostgres;
    let s3: EmbeddedS3;
    let temp: string;
    let live: TableCount[];
    let prefixes = 0;

    before(async function () {
        this.timeout(180_000);
        [pg, s3] = await Promise.all([startPostgres(), startS3()]);
        await s3.createBucket(BUCKET);
        await createDatabase(pg.url(), "unfriendly");
        await query(pg.url("unfriendly"), UNFRIENDLY);
        temp = await mkdtemp(join(tmpdir(), "rowcount-"));
        live = await liveCounts();
    });

    after(async () => {
        await Promise.all([pg?.stop(), s3?.stop()]);
        if (temp !== undefined) {
            await rm(temp, { recursive: true, force: true });
        }
    });

    /** count(*) of every ordinary table and leaf partition, as verify counts them after a restore. */
    async function liveCounts(): Promise<TableCount[]> {
        const tables = await query<{ schema: string; name: string }>(
            pg.url("unfriendly"),
            `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_' ORDER BY 1, 2`,
        );
        const out: TableCount[] = [];
        for (const t of tables) {
            const q = `SELECT count(*)::int AS n FROM "${t.schema.replace(/"/g, '""')}"."${t.name.replace(/"/g, '""')}"`;
            out.push({ schema: t.schema, name: t.name, rows: (await query<{ n: number }>(pg.url("unfriendly"), q))[0]?.n ?? -1 });
        }
        return out;
    }

    function sorted(t: readonly TableCount[]): TableCount[] {
        return [...t].sort((a, b) => (a.schema === b.schema ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.schema < b.schema ? -1 : 1));
    }

    async function dump(over: Partial<DumpSettingsInput> = {}, source = "unfriendly"): Promise<{ manifest: Promise<BackupManifest>; prefix: string }> {
        const prefix = `rc${++prefixes}`;
        const s = dumpSettings({
            database: source,
            bucket: BUCKET,
            prefix,
            pgDumpPath: join(pg.binDir, "pg_dump"),
            kmsKeyId: undefined,
            partSizeBytes: 5 * MiB,
            expectedMaxBytes: 10 * 1024 * MiB,
            tempDir: temp,
            ...over,
        });
        const manifest = runDump(s, { s3: s3.client(), target: parsePostgresUrl(pg.url(source), "test url"), log: new RecordingLog(), metrics: new RecordingMetrics() });
        return { manifest, prefix };
    }

    async function fakePgDump(name: string, body: string): Promise<string> {
        const path = join(temp, name);
        const real = join(pg.binDir, "pg_dump");
        await writeFile(path, `#!/bin/sh\nREAL="${real}"\nif [ "$1" = "--version" ]; then exec "$REAL" --version; fi\n${body}\n`);
        await chmod(path, 0o755);
        return path;
    }

    it("has the unfriendly tables the other tests rely on", () => {
        // the odd names, the inheritance parent counting its descendants, leaf partitions only, no materialized view
        const byName = new Map(live.map((t) => [`${t.schema}.${t.name}`, t.rows]));
        assert.equal(byName.get(`${ODD_SCHEMA}.${ODD_TABLE}`), 8);
        assert.equal(byName.get("public.parent"), 70);
        assert.equal(byName.get("public.child"), 60);
        assert.equal(byName.get("public.no_columns"), 5);
        assert.equal(byName.has("public.parts"), false);
        assert.equal(byName.has("public.parts_high"), false);
        assert.equal(byName.has("public.mv"), false);
    });

    for (const level of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) {
        it(`counts from a custom-format archive compressed at gzip level ${level} exactly as count(*) does`, async () => {
            // given the unfriendly database
            // when it is dumped at this level
            const { manifest } = await dump({ compression: level === 0 ? { method: "none", level: 0 } : { method: "gzip", level } });
            // then the manifest's counts are count(*)'s, table by table
            assert.deepEqual(sorted((await manifest).tables), sorted(live));
        });
    }

    it("leaves out a session's temporary child of a table, as pg_dump and count(*) elsewhere do, instead of failing every backup", async () => {
        // given a session holding a temporary table that inherits from a dumped one, with rows
        const session = new Client({ connectionString: pg.url("unfriendly") });
        await session.connect();
        try {
            await session.query("CREATE TEMP TABLE scratch_child () INHERITS (parent); INSERT INTO scratch_child SELECT generate_series(1, 5)");
            // when a dump runs meanwhile
            const { manifest } = await dump();
            // then it succeeds, with the counts count(*) gives in any other session
            assert.deepEqual(sorted((await manifest).tables), sorted(live));
        } finally {
            await session.end();
        }
    });

    it("restores a gzip dump compressed in parallel blocks into a database equal to the source, large objects included, with pg_restore -j 2", async () => {
        const source = await contentChecksums(pg.url("unfriendly"));
        assert.equal(source.size, live.length + 1);
        for (const level of [1, 9]) {
            // given the unfriendly database dumped with gzip at this level (rows of 3 MiB span several blocks)
            const { manifest } = await dump({ compression: { method: "gzip", level } });
            const m = await manifest;
            assert.deepEqual(m.compression, { method: "gzip", level });
            assert.equal(m.largeObjects, Number((await query(pg.url("unfriendly"), "SELECT count(*) AS n FROM pg_largeobject_metadata"))[0]?.n));
            // when pg_restore reads it back with two jobs into a new database
            const restored = await restoreBackup({ s3: s3.client(), bucket: BUCKET, manifest: m, target: parsePostgresUrl(pg.url(`copy_${level}`), "copy"), binDir: pg.binDir, jobs: 2, log: new RecordingLog() });
            // then every table and large object equals the source's, and the counts match
            assert.equal(restored.rowCountsMatch, true);
            assert.deepEqual(await contentChecksums(pg.url(`copy_${level}`)), source, `level ${level}`);
        }
    });

    it("counts from a directory-format dump's data files exactly as count(*) does, compressed or not", async () => {
        for (const compression of [{ method: "gzip", level: 1 } as const, { method: "none", level: 0 } as const]) {
            // when it is dumped in directory format with two jobs
            const { manifest } = await dump({ format: "directory", jobs: 2, compression });
            // then the counts are count(*)'s
            assert.deepEqual(sorted((await manifest).tables), sorted(live), compression.method);
        }
    });

    it("reads the names of a LATIN1 database in its own encoding, so its tables are counted and restored like any others", async () => {
        // given a LATIN1 database whose schema and table names are not ASCII (pg_dump writes them in LATIN1)
        await query(pg.url(), "CREATE DATABASE latin_names TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'");
        await query(pg.url("latin_names"), 'CREATE SCHEMA "Société"; CREATE TABLE "Société"."café crème" AS SELECT g AS id FROM generate_series(1, 7) g; CREATE TABLE plain AS SELECT 1 AS id');
        for (const over of [{ compression: { method: "gzip", level: 1 } }, { format: "directory", jobs: 2 }] as const) {
            // when it is dumped in either format
            const m = await (await dump(over, "latin_names")).manifest;
            // then the manifest names its tables as the catalog does, with count(*)'s counts
            assert.deepEqual(sorted(m.tables), [{ schema: "Société", name: "café crème", rows: 7 }, { schema: "public", name: "plain", rows: 1 }]);
            // and the backup restores with every count matching
            const copy = `latin_copy_${over.compression === undefined ? "directory" : "custom"}`;
            const restored = await restoreBackup({ s3: s3.client(), bucket: BUCKET, manifest: m, target: parsePostgresUrl(pg.url(copy), "copy"), binDir: pg.binDir, jobs: 2, log: new RecordingLog() });
            assert.equal(restored.rowCountsMatch, true);
        }
    });

    it("in a SQL_ASCII database, counts names whose bytes are UTF-8 and refuses, naming it, one whose bytes are not", async () => {
        // given a SQL_ASCII database (no conversion: a name is its bytes) with a table named in UTF-8
        await query(pg.url(), "CREATE DATABASE ascii_names TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'");
        await query(pg.url("ascii_names"), 'CREATE TABLE "crème" AS SELECT 1 AS id');
        // when it is dumped, then it is counted under that name
        assert.deepEqual((await (await dump({}, "ascii_names")).manifest).tables, [{ schema: "public", name: "crème", rows: 1 }]);
        // given another table whose name holds the byte 0xe9, which is not UTF-8
        await query(pg.url("ascii_names"), "DO $$ BEGIN EXECUTE 'CREATE TABLE ' || quote_ident(convert_from('\\x636166e9'::bytea, 'SQL_ASCII')) || ' (id int)'; END $$");
        // when it is dumped, then the run fails (the server refuses to send the catalog's name as UTF-8) and stores no backup
        const { manifest, prefix } = await dump({}, "ascii_names");
        await assert.rejects(manifest, /invalid byte sequence for encoding "UTF8": 0xe9/);
        assert.ok((await listKeys(s3.client(), BUCKET, prefix)).every((k) => !k.endsWith(".manifest.json")));
    });

    it("counts the same from pg_dump's archive streamed in any piece sizes", async () => {
        // given a real archive
        const { stdout } = await execFileAsync(join(pg.binDir, "pg_dump"), ["--format=custom", "-Z", "1", pg.url("unfriendly")], { encoding: "buffer", maxBuffer: 256 * MiB });
        for (const piece of [1000, 65536, 1_000_000]) {
            // when it is read in pieces of this size
            const reader = new ArchiveRowReader();
            for (let i = 0; i < stdout.length; i += piece) {
                await reader.push(stdout.subarray(i, i + piece));
            }
            // then the leaf tables' own rows are there (the inheritance parent holds its own 10)
            const own = new Map((await reader.finish()).map((t) => [`${t.schema}.${t.name}`, t.rows]));
            assert.equal(own.get("public.parent"), 10);
            assert.equal(own.get("public.big_rows"), 3);
            assert.equal(own.get("public.many_chunks"), 60000);
            assert.equal(own.has("public.mv"), false, "a materialized view's data is a REFRESH entry, not TABLE DATA");
        }
    });

    it("stores no backup when the archive is cut short or has bytes after its end, though pg_dump exits 0", async () => {
        const cut = await fakePgDump("cut", `"$REAL" "$@" > "${temp}/whole.dump" || exit 1\nhead -c 200000 "${temp}/whole.dump"\nexit 0`);
        const trailing = await fakePgDump("trailing", `"$REAL" "$@" || exit 1\nprintf 'garbage'\nexit 0`);
        for (const [pgDumpPath, problem] of [
            [cut, /could not be compressed: the archive ends inside a data block/],
            [trailing, /could not be compressed: unknown data block type 103/],
        ] as const) {
            // when a gzip dump runs on bytes that are not exactly pg_dump's archive
            const { manifest, prefix } = await dump({ pgDumpPath, compression: { method: "gzip", level: 1 } });
            // then it fails as an invalid archive, and nothing is stored
            await assert.rejects(manifest, (e: unknown) => e instanceof InvalidArchiveError && problem.test(e.message));
            assert.deepEqual(await listKeys(s3.client(), BUCKET, prefix), [], pgDumpPath);
        }
        // and so it does when the archive is stored as pg_dump wrote it (no compression): the row reader refuses it
        const { manifest, prefix } = await dump({ pgDumpPath: cut, compression: { method: "none", level: 0 } });
        await assert.rejects(manifest, (e: unknown) => e instanceof InvalidArchiveError && /rows could not be counted/.test(e.message));
        assert.deepEqual(await listKeys(s3.client(), BUCKET, prefix), []);
    });

});
