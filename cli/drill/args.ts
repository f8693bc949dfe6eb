import type { DumpFormat } from "../../lambdas/shared/manifest";
import { MAX_DUMP_JOBS } from "../../lambdas/dump/settings";
import type { PgTarget } from "../../lambdas/shared/pgTarget";
import { ArgumentError, bucketOption, httpUrlOption, integerOption, numberOption, parseOptions, postgresUrlOption } from "../args";
import { warnLine } from "../output";
import { CLOUDS, containerOption, type Cloud } from "../storageOptions";

/** The drill's options and their parsing. */

export const OPTIONS = {
    "database-url": { type: "string", value: "URL", description: "dump this database instead of a throwaway one with sample data; scratch and restored databases are created (and dropped) on its server; password from the URL, PGPASSWORD or the password file" },
    "s3-endpoint": { type: "string", value: "URL", description: "S3-compatible endpoint to use instead of a throwaway s3rver (credentials from the AWS environment)" },
    bucket: { type: "string", value: "BUCKET", description: 'bucket for the drill\'s backups, created if missing (default "pg-backup-drill")' },
    cloud: { type: "string", value: "aws|azure", description: "aws: S3 (s3rver, or --s3-endpoint); azure: Blob Storage (Azurite, or --blob-endpoint) (default aws)" },
    "blob-endpoint": { type: "string", value: "URL", description: "with --cloud azure: blob endpoint to use instead of a throwaway Azurite (sign-in: AZURE_BLOB_LOCAL_ACCOUNT_KEY on loopback, else DefaultAzureCredential)" },
    container: { type: "string", value: "NAME", description: 'with --cloud azure: container for the drill\'s backups, created if missing (default "pg-backup-drill")' },
    "rto-minutes": { type: "string", value: "N", description: "recovery time objective the measured restore is held to (default 60)" },
    "rpo-minutes": { type: "string", value: "N", description: "recovery point objective for the freshness check (default 1440)" },
    scale: { type: "string", value: "X", description: "sample data size: 1 is about 340,000 rows, 0.1 about 34,000 (default 1)" },
    jobs: { type: "string", value: "N", description: "parallel pg_restore jobs, 1..64 (default: min(4, CPUs))" },
    "dump-format": { type: "string", value: "FORMAT", description: "custom (one streamed archive) or directory (pg_dump --jobs into a temporary directory, one object per file) (default custom)" },
    "dump-jobs": { type: "string", value: "N", description: "pg_dump workers with --dump-format directory, 1..16 (default 2)" },
    keep: { type: "boolean", description: "keep the throwaway PostgreSQL and S3 running after the drill, printing how to reach them, until Ctrl-C" },
    verbose: { type: "boolean", description: "show the functions' own log lines" },
    json: { type: "boolean", description: "print one JSON line with the results last" },
} as const;

export const SYNOPSIS = "[--database-url URL] [--s3-endpoint URL] [--bucket B | --cloud azure [--blob-endpoint URL] [--container C]] [--rto-minutes N] [--scale X] [--dump-format custom|directory] [--keep] [--json]";

export interface DrillArgs {
    /** The database given with --database-url, its password resolved (URL, PGPASSWORD or password file). */
    readonly source?: PgTarget;
    readonly s3Endpoint?: string;
    /** @default "aws" */
    readonly cloud?: Cloud;
    /** With cloud azure: the given blob endpoint (else a throwaway Azurite). */
    readonly blobEndpoint?: string;
    /** The bucket, or with cloud azure the container. */
    readonly bucket: string;
    readonly rtoSeconds: number;
    readonly rpoSeconds: number;
    readonly scale: number;
    readonly jobs?: number;
    /** @default "custom" */
    readonly dumpFormat?: DumpFormat;
    readonly dumpJobs?: number;
    readonly keep: boolean;
    readonly verbose: boolean;
    readonly json: boolean;
}

/** undefined means `--help`. Throws ArgumentError naming the argument, the value and what is allowed. */
export function parseDrillArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): DrillArgs | undefined {
    const o = parseOptions(args, OPTIONS);
    if (o === undefined) {
        return undefined;
    }
    const source = postgresUrlOption("database-url", o["database-url"], env, warnLine);
    if (source !== undefined && o.scale !== undefined) {
        throw new ArgumentError(`--scale: "${o.scale}" is not allowed with --database-url; the sample data is only loaded into the throwaway database`);
    }
    const s3Endpoint = httpUrlOption("s3-endpoint", o["s3-endpoint"]);
    const cloud = o.cloud ?? "aws";
    if (cloud !== "aws" && cloud !== "azure") {
        throw new ArgumentError(`--cloud: "${cloud}" is not allowed; expected ${CLOUDS.join(" or ")}`);
    }
    const refused = cloud === "aws" ? { "blob-endpoint": o["blob-endpoint"], container: o.container } : { "s3-endpoint": o["s3-endpoint"], bucket: o.bucket };
    for (const [name, value] of Object.entries(refused)) {
        if (value !== undefined) {
            throw new ArgumentError(`--${name}: not allowed with --cloud ${cloud}`);
        }
    }
    const blobEndpoint = httpUrlOption("blob-endpoint", o["blob-endpoint"]);
    if (o.keep === true && source !== undefined && (s3Endpoint ?? blobEndpoint) !== undefined) {
        throw new ArgumentError(`--keep: nothing to keep with both --database-url and --${cloud === "aws" ? "s3-endpoint" : "blob-endpoint"}; it keeps the throwaway PostgreSQL and storage the drill starts`);
    }
    const jobs = integerOption("jobs", o.jobs, 1, 64);
    const dumpFormat = o["dump-format"] ?? "custom";
    if (dumpFormat !== "custom" && dumpFormat !== "directory") {
        throw new ArgumentError(`--dump-format: "${dumpFormat}" is not allowed; expected custom or directory`);
    }
    const dumpJobs = integerOption("dump-jobs", o["dump-jobs"], 1, MAX_DUMP_JOBS);
    return {
        ...(source === undefined ? {} : { source }),
        ...(s3Endpoint === undefined ? {} : { s3Endpoint }),
        ...(cloud === "azure" ? { cloud } : {}),
        ...(blobEndpoint === undefined ? {} : { blobEndpoint }),
        bucket: (cloud === "aws" ? bucketOption("bucket", o.bucket) : containerOption(o.container)) ?? "pg-backup-drill",
        rtoSeconds: (integerOption("rto-minutes", o["rto-minutes"], 1, 44640) ?? 60) * 60,
        rpoSeconds: (integerOption("rpo-minutes", o["rpo-minutes"], 1, 44640) ?? 1440) * 60,
        scale: numberOption("scale", o.scale, 0, 100) ?? 1,
        ...(jobs === undefined ? {} : { jobs }),
        dumpFormat,
        ...(dumpJobs === undefined ? {} : { dumpJobs }),
        keep: o.keep === true,
        verbose: o.verbose === true,
        json: o.json === true,
    };
}
