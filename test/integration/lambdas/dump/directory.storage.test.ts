import { strict as assert } from "node:assert";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { runDump } from "../../../../lambdas/dump/dump";
import { dumpSettings, type DumpDeps } from "../../../../lambdas/dump/settings";
import { DeadlineExceededError } from "../../../../lambdas/dump/errors";
import { parsePostgresUrl } from "../../../../lambdas/shared/pgTarget";
import { createDatabase, query, startPostgres, startS3, type EmbeddedPostgres, type EmbeddedS3 } from "../../../helpers/embedded";
import { listKeys, RecordingLog, RecordingMetrics } from "../../../helpers/recorders";

const BUCKET = "dump-directory-storage";
const MiB = 1024 * 1024;
/** How long each part of the big table's file takes to "upload" in the slow-S3 test. */
const PART_DELAY_MS = 1_500;

/** Runs `before` ahead of every request of the named command the client sends. */
function onCommand(client: S3Client, command: string, before: (input: Record<string, unknown>) => Promise<void>): S3Client {
    client.middlewareStack.add(
        (next, context) => async (args) => {
            if (context.commandName === command) {
                await before(args.input as Record<string, unknown>);
            }
            return next(args);
        },
        { step: "initialize", name: `before-${command}` },
    );
    return client;
}

describe("directory-format dump: temporary storage and the deadline (real PostgreSQL, s3rver)", function () {
    this.timeout(120_000);

    let pg: EmbeddedPostgres;
    let s3: EmbeddedS3;
    let temp: string;
    let counter = 0;

    before(async function () {
        this.timeout(180_000);
        [pg, s3] = await Promise.all([startPostgres(), startS3()]);
        await s3.createBucket(BUCKET);
        await createDatabase(pg.url(), "app");
        // one big table (about 40 MB of COPY text, stored uncompressed: several 5 MiB parts) and a few small ones
        await query(
            pg.url("app"),
            `CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g + 1)::text) AS v FROM generate_series(1, 500000) g;
             CREATE TABLE small_a AS SELECT generate_series(1, 100) AS id;`,
        );
        await createDatabase(pg.url(), "small");
        await query(pg.url("small"), "CREATE TABLE a AS SELECT generate_series(1, 100) AS id; CREATE TABLE b AS SELECT generate_series(1, 200) AS id; CREATE TABLE c (id int)");
        temp = await mkdtemp(join(tmpdir(), "pgbs-dir-storage-"));
    });

    after(async () => {
        await Promise.all([s3?.stop(), pg?.stop()]);
        if (temp !== undefined) {
            await rm(temp, { recursive: true, force: true });
        }
    });

    function run(database: string, client: S3Client, over: Partial<DumpDeps> = {}): { prefix: string; done: ReturnType<typeof runDump> } {
        const prefix = `s${++counter}/backups`;
        const settings = dumpSettings({
            database,
            bucket: BUCKET,
            prefix,
            pgDumpPath: join(pg.binDir, "pg_dump"),
            kmsKeyId: undefined,
            compression: { method: "none", level: 0 },
            format: "directory",
            jobs: 2,
            tempDir: temp,
            partSizeBytes: 5 * MiB,
            expectedMaxBytes: 10 * 1024 * MiB,
            safetyMarginMs: 10_000,
        });
        const done = runDump(settings, { s3: client, target: parsePostgresUrl(pg.url(database), "test url"), log: new RecordingLog(), metrics: new RecordingMetrics(), ...over });
        return { prefix, done };
    }

    /** Every file under the run's temporary dump directories. */
    async function localFiles(): Promise<string[]> {
        const out: string[] = [];
        for (const d of await readdir(temp)) {
            out.push(...(await readdir(join(temp, d, "dump")).catch(() => [] as string[])));
        }
        return out;
    }

    it("deletes each local file once it is stored: only toc.dat, the last one, is on disk while it goes up", async () => {
        // given an S3 client that holds toc.dat's upload for a second (the other files' uploads end meanwhile), then looks at the local dump directory
        let leftDuringToc: string[] | undefined;
        const client = onCommand(s3.client(), "PutObjectCommand", async (input) => {
            if (String(input.Key).endsWith("/toc.dat")) {
                await new Promise((resolve) => setTimeout(resolve, 1_000));
                leftDuringToc = await localFiles();
            }
        });
        // when a directory-format dump of small tables runs
        const manifest = await run("small", client).done;
        // then every file was stored, and the data files had left the disk by the time toc.dat was going up
        assert.deepEqual((manifest.files ?? []).map((f) => f.name).filter((n) => n !== "toc.dat").length, 3);
        assert.deepEqual(leftDuringToc, ["toc.dat"]);
        assert.deepEqual(
            manifest.tables.map((t) => [t.name, t.rows]),
            [
                ["a", 100],
                ["b", 200],
                ["c", 0],
            ],
        );
    });

    it("stops a large file's upload when the deadline comes, promptly, and stores no backup", async () => {
        // given S3 that takes PART_DELAY_MS per part, and a deadline that comes at the big file's second part
        let parts = 0;
        let deadlineAt: number | undefined;
        const client = onCommand(s3.client(), "UploadPartCommand", async () => {
            parts++;
            if (parts === 2) {
                deadlineAt = performance.now();
            }
            await new Promise((resolve) => setTimeout(resolve, PART_DELAY_MS));
        });
        const { prefix, done } = run("app", client, { remainingMs: () => (deadlineAt === undefined ? 3_600_000 : 1_000) });
        // when the run goes on
        const err = await done.then(
            () => assert.fail("the run should stop at the deadline"),
            (e: unknown) => e,
        );
        const stoppedAfterMs = performance.now() - (deadlineAt ?? 0);
        // then it failed on the deadline, within a part's time and the watch's period, not after the file's other parts
        assert.ok(err instanceof DeadlineExceededError, String(err));
        assert.ok(stoppedAfterMs < PART_DELAY_MS * 2 + 1_000, `stopped ${Math.round(stoppedAfterMs)} ms after the deadline`);
        assert.ok(parts < 6, `${parts} parts were sent; the big file has 8`);
        // and no manifest was written, and the local files are gone
        assert.equal((await listKeys(s3.client(), BUCKET, prefix)).filter((k) => k.endsWith(".manifest.json")).length, 0);
        assert.deepEqual(await readdir(temp), []);
    });
});
