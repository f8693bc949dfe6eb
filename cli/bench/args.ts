import { availableParallelism } from "node:os";
import { join } from "node:path";
import { MAX_DUMP_JOBS } from "../../lambdas/dump/settings";
import { DEFAULT_COMPRESSION, parseCompression } from "../../lambdas/dump/pgDump";
import type { Compression, DumpFormat } from "../../lambdas/shared/manifest";

/** The benchmark's options and their parsing. */

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
