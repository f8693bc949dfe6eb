/**
 * `npm run bench`: on a generated database of a chosen size (rows that compress like production
 * rows by default; pgbench's on request) or on the user's own database, measures side by side
 * - the ceiling: pg_dump -Fc with the same compression, straight to /dev/null;
 * - the bare stream: the same archive piped straight into the S3 multipart upload (the fair
 *   ceiling when the S3 server shares the machine);
 * - the plain pipeline: pg_dump (plain SQL) | gzip to a file, then the file uploaded;
 * - our dump pipeline (the real dump core, compiled to JavaScript, in its own process with the
 *   Lambda runtime's heap flags for the configured memory) to S3, single-stream (custom format)
 *   and in directory format with 1..N pg_dump jobs;
 * - pg_restore of our dump with one job and with N jobs.
 * For each dump it also counts the database's blocks read and hit (pg_stat_database) against the
 * tables' pages, to show each table is read once. Prints a table, then one JSON line with the
 * figures, and writes an SVG chart.
 */
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { compressionArgs } from "../lambdas/dump/pgDump";
import { manifestKey } from "../lambdas/shared/keys";
import type { BackupManifest } from "../lambdas/shared/manifest";
import { libpqEnv, parsePostgresUrl, type PgTarget } from "../lambdas/shared/pgTarget";
import { majorOfToolVersion, toolVersion } from "../lambdas/shared/pgTools";
import { restoreBackup } from "../lambdas/shared/restore";
import type { BenchDumpReport, BenchDumpRequest } from "./embedded/benchDump";
import { startPostgres, type EmbeddedPostgres } from "./embedded/postgres";
import { startS3, type EmbeddedS3 } from "./embedded/s3";
import { BENCH_USAGE, parseBenchArgs, type BenchOptions } from "./bench/args";
import { tablePages, withBlocks } from "./bench/blocks";
import { databaseSize, generateDatabase } from "./bench/data";
import { buildMeasuredProcess, lambdaHeapFlags, MB, progress, quietLog, run, withMachineLoad } from "./bench/measure";
import { BUCKET, measureRun, type BenchModes, type BenchRun, type MeasuredDump } from "./bench/modes";
import { computeFigures, renderChart, renderJson, renderTable } from "./bench/report";

export async function main(args: readonly string[]): Promise<number> {
    let options: BenchOptions | "help";
    try {
        options = parseBenchArgs(args);
    } catch (err) {
        console.error(err instanceof Error ? err.message : String(err));
        console.error(BENCH_USAGE);
        return 2;
    }
    if (options === "help") {
        console.log(BENCH_USAGE);
        return 0;
    }
    const o = options;
    const repo = resolve(__dirname, "..");
    const work = await mkdtemp(join(tmpdir(), "pgbs-bench-"));
    const started: { pg?: EmbeddedPostgres; s3?: EmbeddedS3 } = {};
    try {
        progress("starting PostgreSQL and S3 on loopback");
        const pg = (started.pg = await startPostgres({ settings: { shared_buffers: "256MB", max_wal_size: "4GB", checkpoint_timeout: "30min" } }));
        const s3 = (started.s3 = await startS3());
        await s3.createBucket(BUCKET);
        const databaseBytes = o.databaseUrl !== undefined ? await databaseSize(o.databaseUrl) : await generateDatabase(pg, o);
        const databaseUrl = o.databaseUrl ?? pg.url("bench");
        const target = parsePostgresUrl(databaseUrl, o.databaseUrl !== undefined ? "--database-url" : "bench database");
        const pages = await tablePages(databaseUrl);
        const pgDump = join(pg.binDir, "pg_dump");
        const childEnv = { PATH: process.env.PATH ?? "", ...libpqEnv(target) };
        const measured = await buildMeasuredProcess(repo, join(work, "build"));
        const compression = compressionArgs(o.compression, majorOfToolVersion(await toolVersion(pgDump)));

        const request: Omit<BenchDumpRequest, "mode"> = {
            settings: {
                database: "bench",
                bucket: BUCKET,
                prefix: "bench",
                pgDumpPath: pgDump,
                kmsKeyId: "alias/bench",
                compression: o.compression,
                partSizeBytes: o.partSizeMb * MB,
                uploadConcurrency: o.uploadConcurrency,
            },
            target,
            s3Endpoint: s3.endpoint,
        };
        /** One run of the measured process, with the Lambda runtime's heap flags for the configured memory; `jobs` makes it a directory-format dump. */
        const measure = async (mode: BenchDumpRequest["mode"], jobs?: number): Promise<MeasuredDump> => {
            const settings = jobs === undefined ? request.settings : { ...request.settings, format: "directory" as const, jobs, tempDir: work };
            const { value, blocks } = await withBlocks(databaseUrl, () =>
                withMachineLoad(() =>
                    run(process.execPath, [...lambdaHeapFlags(o.memoryMb), measured], { PATH: process.env.PATH ?? "", NODE_PATH: join(repo, "node_modules") }, undefined,
                        JSON.stringify({ ...request, settings, mode } satisfies BenchDumpRequest)),
                ),
            );
            return { ...(JSON.parse(value.value.trim().split("\n").pop() ?? "{}") as BenchDumpReport), blocks, machine: value.machine };
        };
        const dumpJobs = Array.from({ length: o.dumpJobs }, (_, i) => i + 1);
        const plainFile = join(work, "plain.sql.gz");
        const modes: BenchModes = { o, databaseUrl, pgDump, compression, childEnv, plainFile, s3, dumpJobs, measure };
        const runs: BenchRun[] = [];
        for (let r = 1; r <= o.repeat; r++) {
            runs.push(await measureRun(modes, r));
        }
        const fastest = <T>(pick: (x: (typeof runs)[number]) => number, value: (x: (typeof runs)[number]) => T): T =>
            value(runs.reduce((best, x) => (pick(x) < pick(best) ? x : best)));
        const ours = fastest((x) => x.ours.durationMs, (x) => x.ours);
        const plain = fastest((x) => x.plainDump + x.plainUpload, (x) => x);
        const directory = dumpJobs.map((jobs) => {
            const all = runs.map((x) => x.directory[jobs - 1] as BenchRun["directory"][number]);
            const best = all.reduce((b, x) => (x.durationMs < b.durationMs ? x : b));
            return {
                jobs,
                best,
                seconds: best.durationMs / 1000,
                bytes: best.sizeBytes,
                peakRssBytes: Math.max(...all.map((x) => x.peakRssBytes)),
                blocks: Math.min(...all.map((x) => x.blocks)),
                cpuSeconds: best.cpuSeconds,
                machine: best.machine,
                ceilingSeconds: Math.min(...runs.map((x) => x.directoryCeiling[jobs - 1] ?? Number.POSITIVE_INFINITY)),
                ceilingMachine: fastest((x) => x.directoryCeiling[jobs - 1] ?? Number.POSITIVE_INFINITY, (x) => x.directoryCeilingMachine[jobs - 1]),
            };
        });
        const restored = o.dumpFormat === "custom" ? ours : (directory[o.dumpJobs - 1]?.best ?? ours);

        const manifest = JSON.parse(
            (await (await s3.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: manifestKey(restored.key) }))).Body?.transformToString("utf8")) ?? "{}",
        ) as BackupManifest;
        const restoreInto = async (database: string, jobs: number): Promise<{ seconds: number; match: boolean }> => {
            progress(`pg_restore with ${jobs} job${jobs === 1 ? "" : "s"}`);
            const restoreTarget: PgTarget = { ...parsePostgresUrl(pg.url(), "embedded server"), database };
            const r = await restoreBackup({ s3: s3.client(), bucket: BUCKET, manifest, target: restoreTarget, jobs, binDir: pg.binDir, tempDir: work, log: quietLog });
            return { seconds: r.pgRestoreSeconds, match: r.rowCountsMatch };
        };
        const serial = await restoreInto("restore_serial", 1);
        const parallel = await restoreInto("restore_parallel", o.jobs);

        const figures = computeFigures({
            databaseBytes,
            ceilingSeconds: Math.min(...runs.map((x) => x.ceiling)),
            ceilingBlocks: Math.min(...runs.map((x) => x.ceilingBlocks)),
            oursBlocks: Math.min(...runs.map((x) => x.ours.blocks)),
            tablePages: pages,
            directory: directory.map(({ best: _best, ...measured }) => measured),
            bareSeconds: Math.min(...runs.map((x) => x.bare)),
            bareCpuSeconds: fastest((x) => x.bare, (x) => x.bareCpu),
            bareMachine: fastest((x) => x.bare, (x) => x.bareMachine),
            ceilingMachine: fastest((x) => x.ceiling, (x) => x.ceilingMachine),
            plainDumpSeconds: plain.plainDump,
            plainUploadSeconds: plain.plainUpload,
            plainBytes: plain.plainBytes,
            oursSeconds: ours.durationMs / 1000,
            oursBytes: ours.sizeBytes,
            oursPeakRssBytes: Math.max(...runs.map((x) => x.ours.peakRssBytes)),
            oursBaselineRssBytes: Math.min(...runs.map((x) => x.ours.baselineRssBytes)),
            oursCpuSeconds: ours.cpuSeconds,
            oursMachine: ours.machine,
            rounds: runs.map((x) => ({ bareSeconds: x.bare, oursSeconds: x.ours.durationMs / 1000, directorySeconds: x.directory.map((d) => d.durationMs / 1000) })),
            restoreSerialSeconds: serial.seconds,
            restoreParallelSeconds: parallel.seconds,
            jobs: o.jobs,
            rowCountsMatch: serial.match && parallel.match,
        });
        console.log(renderTable(figures, o));
        await mkdir(dirname(resolve(o.chart)), { recursive: true });
        await writeFile(o.chart, renderChart(figures, o));
        progress(`chart written to ${o.chart}`);
        console.log(renderJson(figures, o, runs));
        return figures.restore.rowCountsMatch ? 0 : 1;
    } catch (err) {
        console.error(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
        return 1;
    } finally {
        await started.s3?.stop();
        await started.pg?.stop();
        await rm(work, { recursive: true, force: true });
    }
}
