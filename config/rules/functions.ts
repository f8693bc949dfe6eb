import { Finding, Rule, error, warning } from "../findings";
import type { ParsedConfig } from "../schema";
import { ScheduleError, firings, formatMinutes, longestGapMinutes, parseSchedule } from "../schedule";
import { pitrMeetsRpo } from "./foundation";
import { engineMajor } from "../../components/aws/documents/rds";
import { DEFAULT_RUN_TIMEOUT_SECONDS, fargateSizeProblems } from "../../components/aws/documents/fargate";

/** Days of function logs production keeps at least (a year of audit trail). */
export const PROD_MIN_LOG_RETENTION_DAYS = 365;
/** Lambda stops every run after 15 minutes. */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;
/** S3 multipart uploads have at most this many parts. */
export const S3_MAX_PARTS = 10_000;
/** Largest dump the dump function expects when none is configured (its DUMP_EXPECTED_MAX_GIB default). */
export const DEFAULT_MAX_DUMP_GIB = 100;
/** First pg_dump major with lz4 and zstd compression. */
export const METHOD_COMPRESSION_MAJOR = 16;
/** Levels pg_dump accepts per compression method. */
export const COMPRESSION_LEVELS = { gzip: { min: 1, max: 9 }, lz4: { min: 1, max: 12 }, zstd: { min: 1, max: 22 } } as const;
/** A CloudWatch alarm looks back at most 7 days. */
export const MAX_ALARM_LOOKBACK_MINUTES = 7 * 1440;

/** Oldest client the function image installs (the oldest Amazon Linux 2023 packages). */
export const MIN_IMAGE_PG_MAJOR = 15;

/**
 * Major version of the PostgreSQL client in the function image: as configured, else the newest
 * major among the databases the stack creates, at least 15 (pg_dump dumps older servers too).
 */
export function imageClientMajor(c: ParsedConfig): number {
    if (c.functions.image.pgMajor !== undefined) return c.functions.image.pgMajor;
    const majors = c.aws.databases.flatMap((db) => {
        const major = db.instance === undefined ? undefined : engineMajor(db.instance.engineVersion);
        return major === undefined ? [] : [major];
    });
    return Math.max(MIN_IMAGE_PG_MAJOR, ...majors);
}

/** Production keeps the functions' logs at least a year. */
export const prodLogRetention: Rule = (c) =>
    c.environment === "prod" && c.functions.logRetentionDays < PROD_MIN_LOG_RETENTION_DAYS
        ? [error("functions.logRetentionDays", c.functions.logRetentionDays,
            `is below ${PROD_MIN_LOG_RETENTION_DAYS} days; prod keeps the backup functions' logs (the audit trail of every dump and verification) at least a year: use 365, 400, 545, 731 or more`)]
        : [];

/**
 * The verify function measures a restore against the RTO inside one Lambda run: a timeout below
 * the RTO (where Lambda allows more) turns restores that meet the RTO into timeouts.
 */
export const verifyTimeoutCoversRto: Rule = (c) => {
    const rtoSeconds = c.objectives.rtoMinutes * 60;
    const needed = Math.min(rtoSeconds, LAMBDA_MAX_TIMEOUT_SECONDS);
    const timeout = c.functions.verify.timeoutSeconds;
    if (timeout >= needed) return [];
    return [warning("functions.verify.timeoutSeconds", timeout,
        `is shorter than the RTO (objectives.rtoMinutes ${c.objectives.rtoMinutes} = ${rtoSeconds} s): a restore that takes longer than ${timeout} s but still meets the RTO is reported as a failed verification (timeout), not as a restore within the RTO; use at least ${needed}`)];
};

/** Tables to export need an export schedule; an export schedule without tables runs for nothing. */
export const exportScheduleMatchesTables: Rule = (c) => {
    const exporting = c.aws.databases.map((db, i) => ({ db, i })).filter(({ db }) => db.exportTables.length > 0);
    if (exporting.length > 0 && c.schedules.export === undefined) {
        const where = exporting.map(({ db, i }) => `aws.databases[${i}] (${db.name})`).join(", ");
        return [error("schedules.export", undefined, `is required: ${where} list exportTables, which only the export schedule runs; set e.g. "rate(1 hour)"`)];
    }
    if (exporting.length === 0 && c.schedules.export !== undefined) {
        return [warning("schedules.export", c.schedules.export, "is set but no database lists exportTables: no export function is deployed; remove it or add exportTables")];
    }
    return [];
};

/** lz4 and zstd need a pg_dump of 16 or newer; each method has its own level range. */
export const compressionSupported: Rule = (c) => {
    const { method, level } = c.functions.compression;
    const out: Finding[] = [];
    const client = imageClientMajor(c);
    if ((method === "lz4" || method === "zstd") && client < METHOD_COMPRESSION_MAJOR) {
        out.push(error("functions.compression.method", method,
            `needs pg_dump ${METHOD_COMPRESSION_MAJOR} or newer, but the function image has the PostgreSQL ${client} client (functions.image.pgMajor${c.functions.image.pgMajor === undefined ? ", from the databases' engine versions" : ""}): pg_dump ${client} only compresses with gzip (-Z 1-9). Use gzip, or set functions.image.pgMajor to ${METHOD_COMPRESSION_MAJOR} or more`));
    }
    if (method !== "none") {
        const range = COMPRESSION_LEVELS[method];
        if (level < range.min || level > range.max) {
            out.push(error("functions.compression.level", level, `is out of range for ${method}: allowed ${range.min}..${range.max} (a low level is fastest: pg_dump's compression is usually the bottleneck)`));
        }
    }
    return out;
};

/** A configured client major must be at least as new as every server it dumps (pg_dump refuses newer servers). */
export const clientCoversServers: Rule = (c) => c.aws.databases.flatMap((db, i) => {
    const configured = c.functions.image.pgMajor;
    const major = db.instance === undefined ? undefined : engineMajor(db.instance.engineVersion);
    if (configured === undefined || major === undefined || major <= configured) return [];
    return [error("functions.image.pgMajor", configured,
        `is older than aws.databases[${i}].instance.engineVersion "${db.instance?.engineVersion}" (${db.name}): pg_dump refuses servers newer than itself; set functions.image.pgMajor to at least ${major}`)];
});

/** S3 takes at most 10,000 parts: part size x 10,000 must hold the largest dump. */
export const partSizeFitsDump: Rule = (c) => {
    const maxGiB = c.functions.maxDumpSizeGiB ?? DEFAULT_MAX_DUMP_GIB;
    const partMiB = c.functions.partSizeMiB;
    const capacityGiB = (partMiB * S3_MAX_PARTS) / 1024;
    if (capacityGiB >= maxGiB) return [];
    const neededMiB = Math.ceil((maxGiB * 1024) / S3_MAX_PARTS);
    const source = c.functions.maxDumpSizeGiB === undefined ? `the default expected maximum of ${DEFAULT_MAX_DUMP_GIB} GiB (set functions.maxDumpSizeGiB)` : `functions.maxDumpSizeGiB (${maxGiB} GiB)`;
    return [error("functions.partSizeMiB", partMiB,
        `holds at most ${capacityGiB.toFixed(1)} GiB in S3's ${S3_MAX_PARTS} parts, less than ${source}: use at least ${neededMiB}`)];
};

/**
 * Verify downloads the dump to its disk for a parallel restore: that disk must hold the largest
 * dump. Databases verified by Lambda (on a shared verification server all are) use
 * functions.verify.ephemeralStorageMb, at most 10240 MB; those verified on their own server by a
 * Fargate runner use functions.fargate.ephemeralStorageGiB, at most 200 GiB.
 */
export const verifyScratchFitsDump: Rule = (c) => {
    const maxGiB = c.functions.maxDumpSizeGiB;
    const verified = c.aws.databases.filter((db) => db.verify);
    if (maxGiB === undefined || verified.length === 0) return [];
    const shared = c.functions.verification.credentialsSecretArn !== undefined;
    const onLambda = shared || verified.some((db) => db.runner === "lambda");
    const onFargate = !shared && verified.some((db) => db.runner === "fargate");
    const out: Finding[] = [];
    const neededMb = Math.ceil(maxGiB * 1024);
    const have = c.functions.verify.ephemeralStorageMb;
    if (onLambda && have < neededMb) {
        const fix = neededMb <= 10240
            ? `use at least ${neededMb}`
            : `Lambda's /tmp holds at most 10240 MB, so dumps this large cannot be verified by the function: ${shared ? "verify them with the CLI on a host with enough disk, or set verify: false on the databases" : "set runner: fargate on the verified databases (up to 200 GiB of disk), verify them with the CLI on a host with enough disk, or set verify: false"}`;
        out.push(error("functions.verify.ephemeralStorageMb", have, `cannot hold the largest dump, functions.maxDumpSizeGiB ${maxGiB} GiB = ${neededMb} MB, which verify downloads before restoring; ${fix}`));
    }
    if (onFargate) {
        out.push(...fargateDiskHoldsDump(c, maxGiB, "the Fargate verify task downloads before restoring",
            "verify these dumps with the CLI on a host with enough disk, or set verify: false"));
    }
    return out;
};

/**
 * GiB of a Fargate task's ephemeral storage kept for its image: "The pulled, compressed, and the
 * uncompressed container image for the task is stored on the ephemeral storage ... you must
 * subtract the amount of storage your container image uses" (Amazon ECS Developer Guide, "Fargate
 * task ephemeral storage for Amazon ECS"). The function image (the Lambda Node.js base image, the
 * PostgreSQL client and the compiled functions) takes well under a GiB each way; the rest of the
 * margin is for the task's own files.
 */
export const FARGATE_IMAGE_MARGIN_GIB = 4;
const FARGATE_MAX_DISK_GIB = 200;

/** `functions.fargate.ephemeralStorageGiB` must hold the image and the largest dump; `why` says what the task keeps, `beyond` what to do past 200 GiB. */
function fargateDiskHoldsDump(c: ParsedConfig, maxGiB: number, why: string, beyond: string): Finding[] {
    const disk = c.functions.fargate.ephemeralStorageGiB;
    const needed = Math.ceil(maxGiB + FARGATE_IMAGE_MARGIN_GIB);
    if (disk >= needed) return [];
    const fix = needed <= FARGATE_MAX_DISK_GIB ? `use at least ${needed}` : `Fargate gives a task at most ${FARGATE_MAX_DISK_GIB} GiB: ${beyond}`;
    return [error("functions.fargate.ephemeralStorageGiB", disk,
        `cannot hold the largest dump, functions.maxDumpSizeGiB ${maxGiB} GiB, which ${why}, besides the ${FARGATE_IMAGE_MARGIN_GIB} GiB kept for the task's image (ECS stores it there, compressed and uncompressed); ${fix}`)];
}

/**
 * One function's /tmp (`functions.<fn>.ephemeralStorageMb`) must hold the largest dump when it
 * keeps a whole dump there; `why` says what it keeps, `beyond` what to do past Lambda's 10240 MB.
 */
function scratchHoldsDump(c: ParsedConfig, fn: "dump" | "verify", why: string, beyond: string): Finding[] {
    const maxGiB = c.functions.maxDumpSizeGiB;
    if (maxGiB === undefined) return [];
    const neededMb = Math.ceil(maxGiB * 1024);
    const have = c.functions[fn].ephemeralStorageMb;
    if (have >= neededMb) return [];
    const fix = neededMb <= 10240 ? `use at least ${neededMb}` : `Lambda's /tmp holds at most 10240 MB, so ${beyond}`;
    return [error(`functions.${fn}.ephemeralStorageMb`, have, `cannot hold the largest dump, functions.maxDumpSizeGiB ${maxGiB} GiB = ${neededMb} MB, which ${why}; ${fix}`)];
}

/**
 * A directory-format dump is written to local disk before upload: a Lambda dump's /tmp, or a
 * Fargate task's ephemeral storage, must hold the largest dump. Each file is deleted once stored,
 * but pg_dump is not paced by the uploads: when S3 is slower than pg_dump (or without /proc, where
 * nothing goes up before pg_dump exits) the whole compressed dump can be on disk at once.
 */
export const dumpScratchFitsDirectoryDump: Rule = (c) => {
    const directory = c.aws.databases.filter((db) => db.dumpFormat === "directory");
    const maxGiB = c.functions.maxDumpSizeGiB;
    const onLambda = directory.some((db) => db.runner === "lambda")
        ? scratchHoldsDump(c, "dump", "a dumpFormat: directory database writes to /tmp before uploading",
            "dumps this large cannot use dumpFormat: directory in the function: use the custom format (streamed, no local disk) or runner: fargate")
        : [];
    const onFargate = maxGiB !== undefined && directory.some((db) => db.runner === "fargate")
        ? fargateDiskHoldsDump(c, maxGiB, "a dumpFormat: directory database writes to disk before uploading", "use the custom format (streamed, no local disk)")
        : [];
    return [...onLambda, ...onFargate];
};

/** Minutes a backup may age before it counts as missing: the RPO, or the dump gap when point-in-time recovery carries the RPO. */
export function backupMaxAgeMinutes(c: ParsedConfig): number {
    if (!pitrMeetsRpo(c)) return c.objectives.rpoMinutes;
    try {
        return Math.max(c.objectives.rpoMinutes, longestGapMinutes(parseSchedule(c.schedules.dump)));
    } catch (err) {
        if (err instanceof ScheduleError) return c.objectives.rpoMinutes;
        throw err;
    }
}

/** The missing-backup alarm looks back over the allowed age plus the longest a dump may take to report: CloudWatch allows 7 days. */
export const freshnessAlarmFits: Rule = (c) => {
    const reportSeconds = Math.max(c.functions.dump.timeoutSeconds, ...c.aws.databases.map((db, i) => dumpReportSeconds(c, db, i)));
    const minutes = backupMaxAgeMinutes(c) + reportSeconds / 60;
    if (minutes <= MAX_ALARM_LOOKBACK_MINUTES) return [];
    return [warning("schedules.dump", c.schedules.dump,
        `lets backups be ${formatMinutes(backupMaxAgeMinutes(c))} apart; a CloudWatch alarm looks back at most 7 days, less than that plus the ${formatMinutes(reportSeconds / 60)} a dump may take to report, so no missing-backup alarm is created and only verification (schedules.verify) notices a dump that stopped`)];
};

/**
 * The verify function reaches a verification server only through the security groups or CIDR
 * blocks given for it: without either, its security group has no egress to the server and the
 * function cannot be declared.
 */
export const verificationServerReachable: Rule = (c) => {
    const v = c.functions.verification;
    if (v.credentialsSecretArn === undefined || !c.aws.databases.some((db) => db.verify)) return [];
    if ((v.securityGroupIds ?? []).length > 0 || (v.cidrBlocks ?? []).length > 0) return [];
    return [error("functions.verification.securityGroupIds", v.securityGroupIds ?? [],
        "is empty, and so is functions.verification.cidrBlocks, while functions.verification.credentialsSecretArn is set: the verify function would have no network path to the verification server; give the server's security groups (sg-...) or its CIDR blocks")];
};

/**
 * Megabytes of database one pg_dump stream reads per second on realistic rows: this project's
 * measurement (`npm run bench`, the "MB/s (database)" column of the dump step, single stream,
 * gzip level 1), rounded down. Wider rows and fewer indexes go faster, many small rows slower.
 */
export const PG_DUMP_MB_PER_SECOND = 25;
/** Seconds of a Lambda run kept for the cold start, the last part's upload and the manifest. */
export const LAMBDA_DUMP_MARGIN_SECONDS = 60;
/** Seconds a dump may take on Lambda: its 15 minutes less the margin. */
export const LAMBDA_DUMP_BUDGET_SECONDS = LAMBDA_MAX_TIMEOUT_SECONDS - LAMBDA_DUMP_MARGIN_SECONDS;
/** A dump estimated at more than this share of the budget is warned about: data grows. */
export const LAMBDA_DUMP_WARN_SHARE = 0.5;

/** Seconds one pg_dump stream takes to read `sizeGb` gigabytes (10^9 bytes). */
export function dumpSecondsEstimate(sizeGb: number): number {
    return (sizeGb * 1000) / PG_DUMP_MB_PER_SECOND;
}

type Database = ParsedConfig["aws"]["databases"][number];

/** How much data a database's dump reads at most, and the key that says so. */
export interface DumpSizeBasis {
    readonly sizeGb: number;
    /** The key the size comes from, e.g. `aws.databases[0].instance.maxAllocatedStorageGb`. */
    readonly key: string;
    /**
     * `planned`: storage autoscaling's maximum, the size the data is planned to reach (RDS grows
     * the allocation only when free space falls below 10 %, so the allocation follows the data);
     * `capacity`: a fixed allocation, the most data the volume holds (it may hold far less).
     */
    readonly kind: "planned" | "capacity";
}

/**
 * The size a database's dump is estimated from: autoscaling's maximum when storage autoscaling is
 * on, else the fixed allocation; none for a database the stack does not create. RDS grows an
 * autoscaled allocation only when free space falls below 10 % ("Managing capacity automatically
 * with Amazon RDS storage autoscaling":
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.Autoscaling.html).
 */
export function dumpSizeBasis(db: Database, i: number): DumpSizeBasis | undefined {
    const instance = db.instance;
    if (instance === undefined) return undefined;
    if (instance.maxAllocatedStorageGb !== undefined) {
        return { sizeGb: instance.maxAllocatedStorageGb, key: `aws.databases[${i}].instance.maxAllocatedStorageGb`, kind: "planned" };
    }
    return { sizeGb: instance.allocatedStorageGb, key: `aws.databases[${i}].instance.allocatedStorageGb`, kind: "capacity" };
}

/**
 * A database dumped by Lambda must be dumped within its 15 minutes. The estimate reads the data
 * at one stream's measured throughput. With storage autoscaling the data is planned to reach
 * `maxAllocatedStorageGb`: beyond the budget the dump cannot finish on Lambda (error); above half
 * of it, growth will soon make it so (warning). A fixed allocation bounds the data from above
 * only (a 50 GB volume may hold 2 GB): a full one that cannot be dumped in the budget is warned
 * about, never refused; it does not grow by itself, so the half-budget warning does not apply.
 * Fargate has no time limit.
 */
export const dumpFitsLambda: Rule = (c) => c.aws.databases.flatMap((db, i) => {
    const basis = dumpSizeBasis(db, i);
    if (db.runner !== "lambda" || basis === undefined) return [];
    const seconds = dumpSecondsEstimate(basis.sizeGb);
    const estimate = `${basis.key} ${basis.sizeGb} GB read at ${PG_DUMP_MB_PER_SECOND} MB/s (one pg_dump stream, measured) takes about ${Math.round(seconds)} s`;
    const limit = `Lambda's ${LAMBDA_MAX_TIMEOUT_SECONDS} s less a ${LAMBDA_DUMP_MARGIN_SECONDS} s margin = ${LAMBDA_DUMP_BUDGET_SECONDS} s`;
    const path = `aws.databases[${i}].runner`;
    if (basis.kind === "capacity") {
        if (seconds <= LAMBDA_DUMP_BUDGET_SECONDS) return [];
        const fitsGb = (LAMBDA_DUMP_BUDGET_SECONDS * PG_DUMP_MB_PER_SECOND) / 1000;
        return [warning(path, db.runner, `may not dump ${db.name} in time as its data grows: ${estimate} when the fixed allocation is full, more than ${limit}, so dumps fail beyond about ${fitsGb} GB of data; measure the dump (npm run drill, the BackupDurationSeconds metric) and set runner: fargate before the data gets there`)];
    }
    if (seconds > LAMBDA_DUMP_BUDGET_SECONDS) {
        return [error(path, db.runner, `cannot dump ${db.name} in time: ${estimate}, more than ${limit}; set runner: fargate (an ECS Fargate task without a time limit, sized by functions.fargate)`)];
    }
    if (seconds > LAMBDA_DUMP_BUDGET_SECONDS * LAMBDA_DUMP_WARN_SHARE) {
        return [warning(path, db.runner, `leaves little room to dump ${db.name}: ${estimate}, more than half of ${limit}; consider runner: fargate before the data grows`)];
    }
    return [];
});

/**
 * Seconds a Fargate dump is given beyond its estimate: the task's start (about a minute to place
 * it, attach its network interface and pull the image; more for a cold image), the last part's
 * upload and the manifest.
 */
export const FARGATE_DUMP_MARGIN_SECONDS = 300;

/**
 * Seconds after its scheduled start within which a dump of the database reports: Lambda's dump
 * timeout (`functions.dump.timeoutSeconds`); for a Fargate task, the estimate of its largest data
 * (dumpSizeBasis) plus FARGATE_DUMP_MARGIN_SECONDS, at most the run's own timeout
 * (RUN_TIMEOUT_SECONDS, after which the handler stops and reports the failure), and that timeout
 * when nothing bounds the data. The missing-backup alarm waits this long past the allowed age.
 */
export function dumpReportSeconds(c: ParsedConfig, db: Database, i: number): number {
    if (db.runner !== "fargate") return c.functions.dump.timeoutSeconds;
    const basis = dumpSizeBasis(db, i);
    if (basis === undefined) return DEFAULT_RUN_TIMEOUT_SECONDS;
    return Math.min(Math.ceil(dumpSecondsEstimate(basis.sizeGb)) + FARGATE_DUMP_MARGIN_SECONDS, DEFAULT_RUN_TIMEOUT_SECONDS);
}

/** Shortest gap, in minutes, between two dumps over five weeks (Infinity if fewer than two). */
function shortestGapMinutes(expression: string): number {
    const times = firings(parseSchedule(expression), new Date(Date.UTC(2027, 0, 1)), 35);
    let shortest = Number.POSITIVE_INFINITY;
    for (let i = 1; i < times.length; i++) {
        shortest = Math.min(shortest, ((times[i]?.getTime() ?? 0) - (times[i - 1]?.getTime() ?? 0)) / 60_000);
    }
    return shortest;
}

/**
 * Lambda's reserved concurrency keeps dumps from overlapping; nothing stops a scheduled Fargate
 * task while the previous one still runs. A database whose estimated dump is longer than the
 * shortest gap between dumps would be dumped by two tasks at once.
 */
export const fargateDumpFitsSchedule: Rule = (c) => {
    let gap: number;
    try {
        gap = shortestGapMinutes(c.schedules.dump);
    } catch (err) {
        if (err instanceof ScheduleError) return [];
        throw err;
    }
    return c.aws.databases.flatMap((db, i) => {
        const basis = dumpSizeBasis(db, i);
        if (db.runner !== "fargate" || basis === undefined) return [];
        const seconds = dumpSecondsEstimate(basis.sizeGb);
        if (seconds <= gap * 60) return [];
        const size = basis.kind === "planned" ? `its planned ${basis.sizeGb} GB (${basis.key})` : `a full ${basis.sizeGb} GB (${basis.key}, a fixed allocation)`;
        return [warning(`aws.databases[${i}].runner`, db.runner,
            `dumps ${db.name} at ${size} in about ${formatMinutes(seconds / 60)} at ${PG_DUMP_MB_PER_SECOND} MB/s, but schedules.dump fires every ${formatMinutes(gap)} at its shortest: its Fargate dumps would overlap (nothing stops a task while the previous one runs); dump less often, or rely on point-in-time recovery for the RPO`)];
    });
};

/** The Fargate tasks' size must be one Fargate offers (checked only when a database uses them). */
export const fargateSizeValid: Rule = (c) => {
    if (!c.aws.databases.some((db) => db.runner === "fargate")) return [];
    const f = c.functions.fargate;
    return fargateSizeProblems(f.cpu, f.memoryMb, f.ephemeralStorageGiB, "functions.fargate.").map((problem) => {
        const at = problem.indexOf(": ");
        const path = problem.slice(0, at);
        const key = path.slice("functions.fargate.".length) as keyof typeof f;
        return error(path, f[key], problem.slice(at + 2));
    });
};

export const rules: readonly Rule[] = [
    prodLogRetention,
    verifyTimeoutCoversRto,
    exportScheduleMatchesTables,
    compressionSupported,
    clientCoversServers,
    partSizeFitsDump,
    verifyScratchFitsDump,
    dumpScratchFitsDirectoryDump,
    freshnessAlarmFits,
    verificationServerReachable,
    dumpFitsLambda,
    fargateSizeValid,
    fargateDumpFitsSchedule,
];
