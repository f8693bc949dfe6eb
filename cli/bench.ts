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
import { spawn } from "node:child_process";
import { createReadStream, openSync, closeSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { dumpTags, MAX_DUMP_JOBS } from "../lambdas/dump/settings";
import { compressionArgs, DEFAULT_COMPRESSION, parseCompression } from "../lambdas/dump/pgDump";
import { manifestKey } from "../lambdas/shared/keys";
import type { BackupManifest, Compression, DumpFormat } from "../lambdas/shared/manifest";
import { libpqEnv, parsePostgresUrl, type PgTarget } from "../lambdas/shared/pgTarget";
import type { Log } from "../lambdas/shared/ports";
import { majorOfToolVersion, toolVersion } from "../lambdas/shared/pgTools";
import { restoreBackup } from "../lambdas/shared/restore";
import { uploadObject } from "../lambdas/shared/upload";
import type { BenchDumpReport, BenchDumpRequest } from "./embedded/benchDump";
import { createDatabase, query, startPostgres, type EmbeddedPostgres } from "./embedded/postgres";
import { loadRealisticData } from "./embedded/realisticData";
import { barChartSvg } from "./benchChart";
import { startS3, type EmbeddedS3 } from "./embedded/s3";

const MB = 1024 * 1024;
const BUCKET = "bench-backups";
/** pgbench grows by about this much per scale unit (100,000 accounts with their index). */
const MB_PER_PGBENCH_SCALE = 15;
/** A fresh database with pgbench's empty tables takes about this much. */
const BASE_DATABASE_MB = 8;

export interface BenchOptions {
    /** Approximate size of the generated database. @default 1024 */
    readonly sizeMb: number;
    /** pg_restore jobs for the parallel restore. @default the CPU count, at least 2 */
    readonly jobs: number;
    /** Our directory-format dump runs with 1..this many pg_dump jobs. @default `jobs`, at most 16 */
    readonly dumpJobs: number;
    /** Which of our dumps the restores restore: the single-stream one or the directory one with `dumpJobs` jobs. @default custom */
    readonly dumpFormat: DumpFormat;
    /** Compression for the ceiling and our pipeline. @default gzip:1 */
    readonly compression: Compression;
    /** Multipart part size. @default 16 */
    readonly partSizeMb: number;
    /** Runs of each dump pipeline, interleaved; the fastest of each counts. @default 3 */
    readonly repeat: number;
    /** Parts uploaded in parallel. @default 2 */
    readonly uploadConcurrency: number;
    /** What to generate: rows that compress like production rows, or pgbench's. @default realistic */
    readonly dataset: "realistic" | "pgbench";
    /** Similar tables of the realistic dataset. @default 4 */
    readonly tables: number;
    /** Measure this database instead of generating one (its server's major must not exceed the local pg_dump's). @default none */
    readonly databaseUrl?: string;
    /** Lambda memory whose heap flags the measured process runs with. @default 1024 */
    readonly memoryMb: number;
    /** Where the SVG chart of throughput per mode is written. @default .bench/bench.svg */
    readonly chart: string;
}

export class BenchArgsError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "BenchArgsError";
    }
}

export const BENCH_USAGE = [
    "usage: npm run bench -- [options]",
    "",
    "  --size-mb N              approximate database size to generate (default 1024; 16..102400)",
    "  --jobs N                 pg_restore jobs for the parallel restore (default the CPU count, at least 2)",
    `  --dump-jobs N            our directory-format dump runs with 1..N pg_dump jobs (default --jobs, at most ${MAX_DUMP_JOBS})`,
    "  --dump-format FORMAT     custom or directory: which of our dumps the restores restore (default custom)",
    "  --compression SPEC       gzip[:1-9], lz4[:1-12], zstd[:1-22] or none, for the ceiling and our pipeline (default gzip:1)",
    "  --part-size-mb N         multipart part size (default 16; 5..5120)",
    "  --upload-concurrency N   parts uploaded in parallel (default 2; 1..16)",
    "  --repeat N               runs of each dump pipeline, interleaved; the fastest counts (default 3; 1..20)",
    "  --dataset NAME           realistic (rows that compress about 2.5:1, like production rows) or pgbench (about 50:1) (default realistic)",
    "  --tables N               similar tables of the realistic dataset (default 4; 1..64)",
    "  --database-url URL       measure this database instead of generating one; its server major must not exceed the local pg_dump's",
    "  --memory-mb N            Lambda memory whose heap flags the measured process gets (default 1024; 128..10240)",
    "  --chart FILE             SVG chart of throughput per mode (default .bench/bench.svg)",
    "  --help                   this text",
].join("\n");

function intArg(name: string, value: string | undefined, min: number, max: number): number {
    if (value === undefined || !/^\d+$/.test(value)) {
        throw new BenchArgsError(`${name}: ${value === undefined ? "missing value" : `"${value}" is not an integer`}; expected ${min}..${max}`);
    }
    const n = Number(value);
    if (n < min || n > max) {
        throw new BenchArgsError(`${name}: ${n} is out of range ${min}..${max}`);
    }
    return n;
}

/** Parses the command line; "help" when help was asked for. Accepts `--flag value` and `--flag=value`. */
export function parseBenchArgs(args: readonly string[], cpus: number = availableParallelism()): BenchOptions | "help" {
    let sizeMb = 1024;
    let jobs = Math.max(2, cpus);
    let dumpJobs: number | undefined;
    let dumpFormat: DumpFormat = "custom";
    let compression = DEFAULT_COMPRESSION;
    let partSizeMb = 16;
    let uploadConcurrency = 2;
    let repeat = 3;
    let dataset: BenchOptions["dataset"] = "realistic";
    let tables = 4;
    let databaseUrl: string | undefined;
    let memoryMb = 1024;
    let chart = join(".bench", "bench.svg");
    for (let i = 0; i < args.length; i++) {
        const arg = args[i] ?? "";
        const eq = arg.indexOf("=");
        const flag = eq > 0 ? arg.slice(0, eq) : arg;
        const value = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : args[++i]);
        switch (flag) {
            case "--help":
            case "-h":
                return "help";
            case "--size-mb":
                sizeMb = intArg(flag, value(), 16, 102_400);
                break;
            case "--jobs":
                jobs = intArg(flag, value(), 1, 64);
                break;
            case "--dump-jobs":
                dumpJobs = intArg(flag, value(), 1, MAX_DUMP_JOBS);
                break;
            case "--dump-format": {
                const v = value();
                if (v !== "custom" && v !== "directory") throw new BenchArgsError(`--dump-format: ${v === undefined ? "missing value" : `"${v}" is not allowed`}; expected custom or directory`);
                dumpFormat = v;
                break;
            }
            case "--compression": {
                const spec = value();
                if (spec === undefined) {
                    throw new BenchArgsError("--compression: missing value; expected gzip[:1-9], lz4[:1-12], zstd[:1-22] or none");
                }
                try {
                    compression = parseCompression(spec, "--compression");
                } catch (err) {
                    throw new BenchArgsError(err instanceof Error ? err.message : String(err));
                }
                break;
            }
            case "--part-size-mb":
                partSizeMb = intArg(flag, value(), 5, 5120);
                break;
            case "--upload-concurrency":
                uploadConcurrency = intArg(flag, value(), 1, 16);
                break;
            case "--repeat":
                repeat = intArg(flag, value(), 1, 20);
                break;
            case "--dataset": {
                const v = value();
                if (v !== "realistic" && v !== "pgbench") throw new BenchArgsError(`--dataset: ${v === undefined ? "missing value" : `"${v}" is not allowed`}; expected realistic or pgbench`);
                dataset = v;
                break;
            }
            case "--tables":
                tables = intArg(flag, value(), 1, 64);
                break;
            case "--database-url": {
                const v = value();
                if (v === undefined || !/^postgres(ql)?:\/\//.test(v)) throw new BenchArgsError("--database-url: expected a postgres:// URL");
                databaseUrl = v;
                break;
            }
            case "--memory-mb":
                memoryMb = intArg(flag, value(), 128, 10_240);
                break;
            case "--chart": {
                const v = value();
                if (v === undefined || v === "") throw new BenchArgsError("--chart: missing file name");
                chart = v;
                break;
            }
            default:
                throw new BenchArgsError(`unknown option "${arg}"; see --help`);
        }
    }
    return { sizeMb, jobs, dumpJobs: dumpJobs ?? Math.min(jobs, MAX_DUMP_JOBS), dumpFormat, compression, partSizeMb, uploadConcurrency, repeat, dataset, tables, ...(databaseUrl !== undefined ? { databaseUrl } : {}), memoryMb, chart };
}

/**
 * The heap flags the Lambda Node.js runtime starts its process with for a function of
 * `memoryMb`: old space 90 % and semi-space 5 % of the memory (observed in the runtime's
 * bootstrap; e.g. 1024 MB gives --max-old-space-size=922 --max-semi-space-size=51).
 */
export function lambdaHeapFlags(memoryMb: number): string[] {
    return [`--max-old-space-size=${Math.round(memoryMb * 0.9)}`, `--max-semi-space-size=${Math.round(memoryMb * 0.05)}`];
}

/** pgbench scale factor for about `sizeMb` of database. */
export function pgbenchScale(sizeMb: number): number {
    return Math.max(1, Math.round((sizeMb - BASE_DATABASE_MB) / MB_PER_PGBENCH_SCALE));
}

export interface BenchMeasurements {
    readonly databaseBytes: number;
    readonly ceilingSeconds: number;
    readonly bareSeconds: number;
    readonly plainDumpSeconds: number;
    readonly plainUploadSeconds: number;
    readonly plainBytes: number;
    readonly oursSeconds: number;
    readonly oursBytes: number;
    readonly oursPeakRssBytes: number;
    readonly oursBaselineRssBytes: number;
    readonly restoreSerialSeconds: number;
    readonly restoreParallelSeconds: number;
    readonly jobs: number;
    readonly rowCountsMatch: boolean;
    /** Pages of the tables' data (heap and TOAST main forks): what pg_dump must read once. */
    readonly tablePages: number;
    /** Blocks read + hit in the database during each dump (pg_stat_database deltas). */
    readonly ceilingBlocks: number;
    readonly oursBlocks: number;
    /** Our directory-format dump with 1..N jobs. */
    readonly directory: readonly DirectoryMeasurement[];
}

export interface DirectoryMeasurement {
    readonly jobs: number;
    readonly seconds: number;
    readonly bytes: number;
    readonly peakRssBytes: number;
    readonly blocks: number;
}

export interface DirectoryFigures {
    readonly jobs: number;
    readonly seconds: number;
    readonly mbPerSecond: number;
    readonly sizeMb: number;
    /** Peak RSS of the dump process with this many jobs. */
    readonly peakRssMb: number;
    /** Its throughput over our single-stream dump's (above 1 = faster). */
    readonly toSingleStream: number;
    /** Blocks read + hit over the tables' pages (1.0 = every page once). */
    readonly blocksPerPage: number;
}

export interface BenchFigures {
    readonly databaseMb: number;
    readonly ceiling: { readonly seconds: number; readonly mbPerSecond: number };
    readonly bare: { readonly seconds: number; readonly mbPerSecond: number };
    readonly plain: { readonly dumpSeconds: number; readonly uploadSeconds: number; readonly seconds: number; readonly mbPerSecond: number; readonly sizeMb: number };
    readonly ours: { readonly seconds: number; readonly mbPerSecond: number; readonly sizeMb: number; readonly peakRssMb: number; readonly baselineRssMb: number };
    /** Our throughput over the ceiling's (1.0 = as fast as pg_dump alone). */
    readonly oursToCeiling: number;
    /** Our throughput over the bare stream's into the same S3 (1.0 = the pipeline costs nothing). */
    readonly oursToBare: number;
    /** Database size over our archive's size. */
    readonly databaseToArchive: number;
    /** The plain pipeline's total time over ours (above 1 = ours is faster). */
    readonly speedupOverPlain: number;
    readonly restore: { readonly serialSeconds: number; readonly parallelSeconds: number; readonly jobs: number; readonly rowCountsMatch: boolean };
    readonly directory: readonly DirectoryFigures[];
    /** Blocks read + hit per table page during the ceiling's dump and ours (1.0 = every page once). */
    readonly blocks: { readonly tablePages: number; readonly ceilingPerPage: number; readonly oursPerPage: number };
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Throughput is database megabytes per second of wall time, so every pipeline is measured against the same amount of work. */
export function computeFigures(m: BenchMeasurements): BenchFigures {
    for (const [name, v] of Object.entries(m)) {
        if (typeof v === "number" && (!Number.isFinite(v) || v < 0)) {
            throw new Error(`measurement ${name}: ${v} is not a non-negative number`);
        }
    }
    for (const name of ["ceilingSeconds", "bareSeconds", "oursSeconds", "plainDumpSeconds"] as const) {
        if (m[name] === 0) {
            throw new Error(`measurement ${name}: 0 s cannot give a throughput`);
        }
    }
    for (const d of m.directory) {
        if (!Number.isFinite(d.seconds) || d.seconds <= 0) {
            throw new Error(`measurement directory with ${d.jobs} jobs: ${d.seconds} s cannot give a throughput`);
        }
    }
    const perPage = (blocks: number): number => (m.tablePages === 0 ? 0 : round(blocks / m.tablePages, 3));
    const databaseMb = m.databaseBytes / MB;
    const plainSeconds = m.plainDumpSeconds + m.plainUploadSeconds;
    return {
        databaseMb: round(databaseMb, 1),
        ceiling: { seconds: round(m.ceilingSeconds), mbPerSecond: round(databaseMb / m.ceilingSeconds, 1) },
        bare: { seconds: round(m.bareSeconds), mbPerSecond: round(databaseMb / m.bareSeconds, 1) },
        plain: {
            dumpSeconds: round(m.plainDumpSeconds),
            uploadSeconds: round(m.plainUploadSeconds),
            seconds: round(plainSeconds),
            mbPerSecond: round(databaseMb / plainSeconds, 1),
            sizeMb: round(m.plainBytes / MB, 1),
        },
        ours: {
            seconds: round(m.oursSeconds),
            mbPerSecond: round(databaseMb / m.oursSeconds, 1),
            sizeMb: round(m.oursBytes / MB, 1),
            peakRssMb: round(m.oursPeakRssBytes / MB, 1),
            baselineRssMb: round(m.oursBaselineRssBytes / MB, 1),
        },
        oursToCeiling: round(m.ceilingSeconds / m.oursSeconds, 3),
        oursToBare: round(m.bareSeconds / m.oursSeconds, 3),
        databaseToArchive: m.oursBytes === 0 ? 0 : round(m.databaseBytes / m.oursBytes, 2),
        speedupOverPlain: round(plainSeconds / m.oursSeconds, 2),
        restore: { serialSeconds: round(m.restoreSerialSeconds), parallelSeconds: round(m.restoreParallelSeconds), jobs: m.jobs, rowCountsMatch: m.rowCountsMatch },
        directory: m.directory.map((d) => ({
            jobs: d.jobs,
            seconds: round(d.seconds),
            mbPerSecond: round(databaseMb / d.seconds, 1),
            sizeMb: round(d.bytes / MB, 1),
            peakRssMb: round(d.peakRssBytes / MB, 1),
            toSingleStream: round(m.oursSeconds / d.seconds, 3),
            blocksPerPage: perPage(d.blocks),
        })),
        blocks: { tablePages: m.tablePages, ceilingPerPage: perPage(m.ceilingBlocks), oursPerPage: perPage(m.oursBlocks) },
    };
}

const jobsLabel = (n: number): string => `${n} job${n === 1 ? "" : "s"}`;

export function renderTable(f: BenchFigures, o: BenchOptions): string {
    const compression = o.compression.method === "none" ? "none" : `${o.compression.method}:${o.compression.level}`;
    const rows: [string, string, string, string][] = [
        ["step", "seconds", "MB/s (database)", "notes"],
        ["pg_dump -Fc > /dev/null (ceiling)", f.ceiling.seconds.toFixed(2), f.ceiling.mbPerSecond.toFixed(1), `compression ${compression}, ${f.blocks.ceilingPerPage.toFixed(3)} blocks read+hit per table page`],
        ["pg_dump -Fc | S3 upload (bare stream)", f.bare.seconds.toFixed(2), f.bare.mbPerSecond.toFixed(1), "the same archive, nothing else"],
        [
            "pg_dump | gzip > file, then upload",
            f.plain.seconds.toFixed(2),
            f.plain.mbPerSecond.toFixed(1),
            `dump+gzip ${f.plain.dumpSeconds.toFixed(2)} s, upload ${f.plain.uploadSeconds.toFixed(2)} s, ${f.plain.sizeMb.toFixed(1)} MB`,
        ],
        [
            "our dump pipeline to S3",
            f.ours.seconds.toFixed(2),
            f.ours.mbPerSecond.toFixed(1),
            `${f.ours.sizeMb.toFixed(1)} MB (database ${f.databaseToArchive.toFixed(2)}:1), ${f.oursToBare.toFixed(3)}x bare stream, ${f.oursToCeiling.toFixed(3)}x ceiling, ${f.speedupOverPlain.toFixed(2)}x faster than plain, peak RSS ${f.ours.peakRssMb.toFixed(1)} MB, ${f.blocks.oursPerPage.toFixed(3)} blocks per table page`,
        ],
        ...f.directory.map((d): [string, string, string, string] => [
            `our dump, directory format, ${jobsLabel(d.jobs)}`,
            d.seconds.toFixed(2),
            d.mbPerSecond.toFixed(1),
            `${d.sizeMb.toFixed(1)} MB, ${d.toSingleStream.toFixed(3)}x ours single-stream, peak RSS ${d.peakRssMb.toFixed(1)} MB, ${d.blocksPerPage.toFixed(3)} blocks per table page`,
        ]),
        ["pg_restore, 1 job", f.restore.serialSeconds.toFixed(2), (f.databaseMb / Math.max(f.restore.serialSeconds, 0.001)).toFixed(1), `row counts ${f.restore.rowCountsMatch ? "match" : "DIFFER"}`],
        [`pg_restore, ${f.restore.jobs} jobs`, f.restore.parallelSeconds.toFixed(2), (f.databaseMb / Math.max(f.restore.parallelSeconds, 0.001)).toFixed(1), ""],
    ];
    const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]?.length ?? 0)));
    const line = (r: readonly string[]): string => r.map((cell, c) => (c === 1 || c === 2 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join("  ").trimEnd();
    const [header, ...body] = rows;
    const source = o.databaseUrl !== undefined ? "your database" : `${o.dataset} dataset, requested ${o.sizeMb} MB${o.dataset === "realistic" ? ` in ${o.tables} tables` : ""}`;
    return [`database ${f.databaseMb.toFixed(1)} MB (${source}, ${f.blocks.tablePages} table pages); Lambda heap flags for ${o.memoryMb} MB; fastest of ${o.repeat} run${o.repeat === 1 ? "" : "s"} per pipeline, peak RSS the highest; restores of our ${o.dumpFormat === "custom" ? "single-stream" : `directory-format (${jobsLabel(o.dumpJobs)})`} dump`, line(header ?? []), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

/** The chart of throughput per mode, in database MB per second of wall time. */
export function renderChart(f: BenchFigures, o: BenchOptions): string {
    const source = o.databaseUrl !== undefined ? "your database" : `${o.dataset} data`;
    return barChartSvg(`Dump and restore throughput, ${f.databaseMb.toFixed(0)} MB database (${source})`, [
        { label: "pg_dump -Fc > /dev/null (ceiling)", mbPerSecond: f.ceiling.mbPerSecond, kind: "ceiling" },
        { label: "pg_dump -Fc | S3 upload (bare stream)", mbPerSecond: f.bare.mbPerSecond, kind: "ceiling" },
        { label: "our dump pipeline to S3", mbPerSecond: f.ours.mbPerSecond, kind: "ours" },
        ...f.directory.map((d) => ({ label: `ours, directory format, ${jobsLabel(d.jobs)}`, mbPerSecond: d.mbPerSecond, kind: "ours" as const })),
        { label: "pg_dump | gzip > file, then upload", mbPerSecond: f.plain.mbPerSecond, kind: "other" },
        { label: "pg_restore, 1 job", mbPerSecond: f.databaseMb / Math.max(f.restore.serialSeconds, 0.001), kind: "restore" },
        { label: `pg_restore, ${f.restore.jobs} jobs`, mbPerSecond: f.databaseMb / Math.max(f.restore.parallelSeconds, 0.001), kind: "restore" },
    ]);
}

function progress(message: string): void {
    process.stderr.write(`[bench] ${message}\n`);
}

const quietLog: Log = {
    debug: () => undefined,
    info: () => undefined,
    warn: (message, extra) => progress(`warning: ${message} ${JSON.stringify(extra ?? {})}`),
    error: (message, extra) => progress(`error: ${message} ${JSON.stringify(extra ?? {})}`),
};

/** Runs a command to completion; rejects with its stderr tail on a non-zero exit. Stdout goes to `stdoutFd` when given. */
function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, stdoutFd?: number, input?: string): Promise<string> {
    return new Promise((resolvePromise, reject) => {
        const child = spawn(file, args, { env, stdio: [input === undefined ? "ignore" : "pipe", stdoutFd ?? "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout?.on("data", (c: Buffer) => {
            out += c.toString("utf8");
        });
        child.stderr?.on("data", (c: Buffer) => {
            err = (err + c.toString("utf8")).slice(-4000);
        });
        if (input !== undefined) {
            child.stdin?.end(input);
        }
        child.once("error", reject);
        child.once("close", (code, signal) => {
            if (code === 0) {
                resolvePromise(out);
            } else {
                reject(new Error(`${file} ${args.join(" ")} failed (${signal ?? `exit ${String(code)}`}): ${err.trim()}`));
            }
        });
    });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
    const t0 = performance.now();
    const value = await fn();
    return { value, seconds: (performance.now() - t0) / 1000 };
}

async function listTs(dir: string): Promise<string[]> {
    const out: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
            out.push(...(await listTs(path)));
        } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
            out.push(path);
        }
    }
    return out;
}

/** Compiles the measured process and what it imports to plain JavaScript (transpile only) in `outDir`. */
async function buildMeasuredProcess(repo: string, outDir: string): Promise<string> {
    const sources = [...(await listTs(join(repo, "lambdas"))), join(repo, "cli", "embedded", "benchDump.ts"), join(repo, "cli", "embedded", "s3Client.ts")];
    for (const src of sources) {
        const js = ts.transpileModule(await readFile(src, "utf8"), {
            compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
            fileName: src,
        }).outputText;
        const dest = join(outDir, relative(repo, src)).replace(/\.ts$/, ".js");
        await mkdir(dirname(dest), { recursive: true });
        await writeFile(dest, js);
    }
    return join(outDir, "cli", "embedded", "benchDump.js");
}

async function generateDatabase(pg: EmbeddedPostgres, o: BenchOptions): Promise<number> {
    await createDatabase(pg.url(), "bench");
    if (o.dataset === "realistic") {
        progress(`generating about ${o.sizeMb} MB of realistic rows in ${o.tables} tables (server-side)`);
        return loadRealisticData(pg.url("bench"), o.sizeMb, o.tables, progress);
    }
    const scale = pgbenchScale(o.sizeMb);
    const target = parsePostgresUrl(pg.url("bench"), "bench database");
    progress(`generating about ${o.sizeMb} MB with pgbench -i -s ${scale} (server-side)`);
    await run(join(pg.binDir, "pgbench"), ["-i", "-s", String(scale), "-I", "dtGvp", "-q"], { PATH: process.env.PATH ?? "", ...libpqEnv(target) });
    const rows = await query<{ size: string }>(pg.url("bench"), "SELECT pg_database_size('bench') AS size");
    return Number(rows[0]?.size);
}

/** Main-fork pages of the ordinary tables and their TOAST tables outside the system schemas: what a dump reads once. */
async function tablePages(url: string): Promise<number> {
    const rows = await query<{ pages: string }>(
        url,
        `SELECT COALESCE(sum(pg_relation_size(c.oid) + CASE WHEN c.reltoastrelid = 0 THEN 0 ELSE pg_relation_size(c.reltoastrelid) END), 0)
                / current_setting('block_size')::int AS pages
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'`,
    );
    return Number(rows[0]?.pages ?? 0);
}

/** How long a backend's statistics may take to reach pg_stat_database after its session ends. */
const STATS_SETTLE_MS = 1_000;

/** Blocks read + hit in the database (every session's, flushed at the latest when a session ends). */
async function blocksTouched(url: string): Promise<number> {
    const rows = await query<{ n: string }>(url, "SELECT blks_read + blks_hit AS n FROM pg_stat_database WHERE datname = current_database()");
    return Number(rows[0]?.n ?? 0);
}

/** Runs `fn` and returns its value with the database's blocks read + hit meanwhile. */
async function withBlocks<T>(url: string, fn: () => Promise<T>): Promise<{ value: T; blocks: number }> {
    const before = await blocksTouched(url);
    const value = await fn();
    await new Promise((r) => setTimeout(r, STATS_SETTLE_MS));
    return { value, blocks: (await blocksTouched(url)) - before };
}

/** Size of the database to measure: the generated one, or the user's. */
async function databaseSize(url: string): Promise<number> {
    const rows = await query<{ size: string }>(url, "SELECT pg_database_size(current_database()) AS size");
    return Number(rows[0]?.size);
}

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
        const measure = async (mode: BenchDumpRequest["mode"], jobs?: number): Promise<BenchDumpReport & { blocks: number }> => {
            const settings = jobs === undefined ? request.settings : { ...request.settings, format: "directory" as const, jobs, tempDir: work };
            const { value, blocks } = await withBlocks(databaseUrl, () =>
                run(process.execPath, [...lambdaHeapFlags(o.memoryMb), measured], { PATH: process.env.PATH ?? "", NODE_PATH: join(repo, "node_modules") }, undefined,
                    JSON.stringify({ ...request, settings, mode } satisfies BenchDumpRequest)),
            );
            return { ...(JSON.parse(value.trim().split("\n").pop() ?? "{}") as BenchDumpReport), blocks };
        };
        const dumpJobs = Array.from({ length: o.dumpJobs }, (_, i) => i + 1);
        const plainFile = join(work, "plain.sql.gz");
        const runs: {
            ceiling: number;
            ceilingBlocks: number;
            bare: number;
            ours: BenchDumpReport & { blocks: number };
            directory: (BenchDumpReport & { blocks: number; jobs: number })[];
            plainDump: number;
            plainUpload: number;
            plainBytes: number;
        }[] = [];
        for (let r = 1; r <= o.repeat; r++) {
            progress(`run ${r}/${o.repeat}: ceiling, pg_dump -Fc > /dev/null`);
            const devNull = openSync("/dev/null", "w");
            const ceiling = await withBlocks(databaseUrl, () =>
                timed(() => run(pgDump, ["--format=custom", "--blobs", "--no-password", ...compression], childEnv, devNull)).finally(() => closeSync(devNull)),
            );

            progress(`run ${r}/${o.repeat}: our pipeline, dump core -> S3 (own process, compiled JavaScript)`);
            const ours = await measure("ours");

            const directory: (BenchDumpReport & { blocks: number; jobs: number })[] = [];
            for (const jobs of dumpJobs) {
                progress(`run ${r}/${o.repeat}: our pipeline, directory format with ${jobs} pg_dump job${jobs === 1 ? "" : "s"}`);
                directory.push({ ...(await measure("ours", jobs)), jobs });
            }

            progress(`run ${r}/${o.repeat}: bare stream, pg_dump -Fc piped into the S3 upload`);
            const bare = await measure("bare");

            progress(`run ${r}/${o.repeat}: plain pipeline, pg_dump | gzip > file, then upload`);
            const plainDump = await timed(() => run("bash", ["-c", 'set -o pipefail; "$0" --no-password | gzip > "$1"', pgDump, plainFile], childEnv));
            const plainBytes = (await stat(plainFile)).size;
            const plainUpload = await timed(() =>
                uploadObject(
                    {
                        client: s3.client(),
                        bucket: BUCKET,
                        key: `plain/plain-${r}.sql.gz`,
                        body: createReadStream(plainFile),
                        contentType: "application/gzip",
                        kmsKeyId: "alias/bench",
                        tags: dumpTags("daily"),
                        partSizeBytes: o.partSizeMb * MB,
                        queueSize: o.uploadConcurrency,
                    },
                    quietLog,
                ),
            );
            await rm(plainFile, { force: true });
            runs.push({
                ceiling: ceiling.value.seconds,
                ceilingBlocks: ceiling.blocks,
                bare: bare.durationMs / 1000,
                ours,
                directory,
                plainDump: plainDump.seconds,
                plainUpload: plainUpload.seconds,
                plainBytes,
            });
        }
        const fastest = <T>(pick: (x: (typeof runs)[number]) => number, value: (x: (typeof runs)[number]) => T): T =>
            value(runs.reduce((best, x) => (pick(x) < pick(best) ? x : best)));
        const ours = fastest((x) => x.ours.durationMs, (x) => x.ours);
        const plain = fastest((x) => x.plainDump + x.plainUpload, (x) => x);
        const directory = dumpJobs.map((jobs) => {
            const all = runs.map((x) => x.directory[jobs - 1] as BenchDumpReport & { blocks: number; jobs: number });
            const best = all.reduce((b, x) => (x.durationMs < b.durationMs ? x : b));
            return { jobs, best, seconds: best.durationMs / 1000, bytes: best.sizeBytes, peakRssBytes: Math.max(...all.map((x) => x.peakRssBytes)), blocks: Math.min(...all.map((x) => x.blocks)) };
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
            directory: directory.map(({ jobs, seconds, bytes, peakRssBytes, blocks }) => ({ jobs, seconds, bytes, peakRssBytes, blocks })),
            bareSeconds: Math.min(...runs.map((x) => x.bare)),
            plainDumpSeconds: plain.plainDump,
            plainUploadSeconds: plain.plainUpload,
            plainBytes: plain.plainBytes,
            oursSeconds: ours.durationMs / 1000,
            oursBytes: ours.sizeBytes,
            oursPeakRssBytes: Math.max(...runs.map((x) => x.ours.peakRssBytes)),
            oursBaselineRssBytes: Math.min(...runs.map((x) => x.ours.baselineRssBytes)),
            restoreSerialSeconds: serial.seconds,
            restoreParallelSeconds: parallel.seconds,
            jobs: o.jobs,
            rowCountsMatch: serial.match && parallel.match,
        });
        console.log(renderTable(figures, o));
        await mkdir(dirname(resolve(o.chart)), { recursive: true });
        await writeFile(o.chart, renderChart(figures, o));
        progress(`chart written to ${o.chart}`);
        console.log(
            JSON.stringify({
                sizeMbRequested: o.sizeMb,
                compression: o.compression,
                partSizeMb: o.partSizeMb,
                uploadConcurrency: o.uploadConcurrency,
                repeat: o.repeat,
                dataset: o.databaseUrl !== undefined ? "database-url" : o.dataset,
                memoryMb: o.memoryMb,
                dumpJobs: o.dumpJobs,
                restoredFormat: o.dumpFormat,
                runs: runs.map((x) => ({
                    ceilingSeconds: round(x.ceiling),
                    bareSeconds: round(x.bare),
                    oursSeconds: round(x.ours.durationMs / 1000),
                    plainSeconds: round(x.plainDump + x.plainUpload),
                    oursPeakRssMb: round(x.ours.peakRssBytes / MB, 1),
                    directory: x.directory.map((d) => ({ jobs: d.jobs, seconds: round(d.durationMs / 1000), peakRssMb: round(d.peakRssBytes / MB, 1) })),
                })),
                ...figures,
            }),
        );
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
