import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { dumpFunctionName } from "../config/resourceNames";
import { stackScope } from "../config/scope";
import { readStackFile, StackFileError, stackFilePath } from "../config/load";
import { validateConfig } from "../config/validate";
import type { DumpResult } from "../lambdas/dump/handler";
import { runDump } from "../lambdas/dump/dump";
import { dumpSettings, MAX_DUMP_JOBS } from "../lambdas/dump/settings";
import type { BackupManifest, DumpFormat } from "../lambdas/shared/manifest";
import { describeTarget, type PgTarget } from "../lambdas/shared/pgTarget";
import { findPgTool } from "../lambdas/shared/pgTools";
import { redactedMessage, redactText } from "../lambdas/shared/redact";
import { ArgumentError, bucketOption, databaseOption, httpUrlOption, parseOptions, postgresUrlOption, required, usage } from "./args";
import { cliS3Client } from "./clients";
import { DEFAULT_PREFIX } from "./list";
import { formatBytes, terminalLog, warnLine } from "./output";
import { TAG_VALUE, awsFargateBackupClients, runFargateBackup, type FargateBackupClients } from "./fargateBackup";
import { dumpReportSeconds } from "../config/rules/functions";

/**
 * `backup`: take a backup now, before a deployment, a migration or maintenance. With `--stack`
 * it invokes the deployed dump function (the same code and settings as the scheduled runs,
 * recorded as on-demand), or, for a database dumped by a Fargate task, runs that task as its
 * schedule does and waits for it; with `--database-url` it runs the dump here, to a bucket on AWS
 * or an S3-compatible endpoint.
 */

const OPTIONS = {
    stack: { type: "string", value: "NAME", description: "invoke the dump function of this stack, or run its dump task for a Fargate database (reads Pulumi.<NAME>.yaml)" },
    database: { type: "string", value: "NAME", description: "logical database name: the stack's database (with --stack), or the key segment of the backup (default: the URL's database name)" },
    reason: { type: "string", value: "TEXT", description: 'why, recorded in the function\'s log, or in a Fargate task\'s tags (e.g. "before release 2026.11.3")' },
    "database-url": { type: "string", value: "URL", description: "dump this database here instead (password from the URL, PGPASSWORD or the password file)" },
    bucket: { type: "string", value: "BUCKET", description: "with --database-url: bucket to write to (required)" },
    prefix: { type: "string", value: "PREFIX", description: 'with --database-url: key prefix (default "backups")' },
    "s3-endpoint": { type: "string", value: "URL", description: "with --database-url: S3-compatible endpoint, path-style (default: AWS)" },
    region: { type: "string", value: "REGION", description: "AWS region (default: the stack's primary region; AWS_REGION with --database-url)" },
    "dump-format": { type: "string", value: "FORMAT", description: "with --database-url: custom (one archive streamed to S3) or directory (pg_dump --jobs into the OS temp dir, one object per file) (default custom)" },
    "dump-jobs": { type: "string", value: "N", description: `with --database-url --dump-format directory: pg_dump workers, 1..${MAX_DUMP_JOBS} (default 2)` },
    json: { type: "boolean", description: "print one JSON line with the result last" },
} as const;

const SYNOPSIS = "(--stack S --database D [--reason TEXT] | --database-url URL --bucket B [--database D] [--s3-endpoint URL] [--dump-format custom|directory [--dump-jobs N]]) [--json]";

/** Invokes a function synchronously and returns its response payload; a function error is thrown. */
export type Invoke = (functionName: string, region: string, payload: unknown) => Promise<unknown>;

export type BackupArgs =
    | { readonly kind: "stack"; readonly functionName: string; readonly region: string; readonly database: string; readonly reason?: string; readonly json: boolean }
    | {
          readonly kind: "fargate";
          /** The dump runner's name: its schedule's and its task family's. */
          readonly scheduleName: string;
          readonly region: string;
          readonly database: string;
          readonly reason?: string;
          /** Seconds the dump may take (dumpReportSeconds): how long the task is followed. */
          readonly waitSeconds: number;
          readonly json: boolean;
      }
    | {
          readonly kind: "local";
          readonly target: PgTarget;
          readonly database: string;
          readonly bucket: string;
          readonly prefix: string;
          readonly s3Endpoint?: string;
          readonly region?: string;
          readonly format: DumpFormat;
          /** pg_dump workers of a directory-format dump. */
          readonly jobs?: number;
          readonly json: boolean;
      };

/** undefined means `--help`. Throws ArgumentError naming the argument, the value and what is allowed. */
export function parseBackupArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): BackupArgs | undefined {
    const o = parseOptions(args, OPTIONS);
    if (o === undefined) {
        return undefined;
    }
    const json = o.json === true;
    if ((o.stack === undefined) === (o["database-url"] === undefined)) {
        throw new ArgumentError(`--stack, --database-url: ${o.stack === undefined ? "missing" : "given together"}; expected exactly one: --stack to invoke the deployed dump function, --database-url to dump here`);
    }
    if (o.stack !== undefined) {
        for (const local of ["bucket", "prefix", "s3-endpoint", "dump-format", "dump-jobs"] as const) {
            if (o[local] !== undefined) {
                throw new ArgumentError(`--${local}: not allowed with --stack; the deployed function writes to the stack's own bucket`);
            }
        }
        const database = required("database", databaseOption("database", o.database), "the stack's logical database name");
        const config = stackConfig(o.stack, cwd);
        // The dump function's name is also a Fargate dump runner's: its schedule's and its task family's.
        const name = dumpFunctionName(stackScope(o.stack), database);
        const common = { region: o.region ?? config.region, database, ...(o.reason === undefined ? {} : { reason: o.reason }), json };
        const waitSeconds = config.fargateDatabases.get(database);
        if (waitSeconds === undefined) return { kind: "stack", functionName: name, ...common };
        if (o.reason !== undefined && !TAG_VALUE.test(o.reason)) {
            throw new ArgumentError(`--reason: "${o.reason}" is not allowed for a Fargate task, which records it as a tag; expected up to 256 letters, digits, spaces and _ . : / = + - @`);
        }
        return { kind: "fargate", scheduleName: name, waitSeconds, ...common };
    }
    if (o.reason !== undefined) {
        throw new ArgumentError("--reason: only with --stack; it is recorded in the deployed function's log");
    }
    const target = required("database-url", postgresUrlOption("database-url", o["database-url"], env, warnLine), "postgres://user@host:port/database");
    const s3Endpoint = httpUrlOption("s3-endpoint", o["s3-endpoint"]);
    const format = o["dump-format"] ?? "custom";
    if (format !== "custom" && format !== "directory") {
        throw new ArgumentError(`--dump-format: "${format}" is not allowed; expected custom or directory`);
    }
    const jobsText = o["dump-jobs"];
    if (jobsText !== undefined && format !== "directory") {
        throw new ArgumentError("--dump-jobs: only with --dump-format directory; a custom-format dump is one pg_dump stream");
    }
    const jobs = jobsText === undefined ? undefined : Number(jobsText);
    if (jobs !== undefined && (!/^\d+$/.test(jobsText ?? "") || jobs < 1 || jobs > MAX_DUMP_JOBS)) {
        throw new ArgumentError(`--dump-jobs: "${jobsText ?? ""}" is not allowed; expected an integer 1..${MAX_DUMP_JOBS}`);
    }
    return {
        kind: "local",
        target,
        database: databaseOption("database", o.database ?? target.database) ?? target.database,
        bucket: required("bucket", bucketOption("bucket", o.bucket), "an S3 bucket name"),
        prefix: o.prefix ?? DEFAULT_PREFIX,
        ...(s3Endpoint === undefined ? {} : { s3Endpoint }),
        ...(o.region === undefined ? {} : { region: o.region }),
        format,
        ...(jobs === undefined ? {} : { jobs }),
        json,
    };
}

function stackConfig(stack: string, cwd: string): { readonly environment: string; readonly region: string; readonly fargateDatabases: ReadonlyMap<string, number> } {
    try {
        const result = validateConfig(readStackFile(stackFilePath(stack, cwd)));
        if (result.config === undefined) {
            throw new ArgumentError(`--stack: "${stack}" has errors in its stack file; run \`npm run validate -- --stack ${stack}\``);
        }
        const config = result.config;
        const regions = config.regions;
        if (regions === undefined) {
            throw new ArgumentError(`--stack: "${stack}" is Azure-only: its dumps run as Container Apps jobs, not Lambda functions (docs/azure.md)`);
        }
        return {
            environment: config.environment,
            region: regions.primary,
            fargateDatabases: new Map(config.aws.databases.flatMap((d, i) => (d.runner === "fargate" ? [[d.name, dumpReportSeconds(config, d, i)] as const] : []))),
        };
    } catch (err) {
        throw err instanceof StackFileError ? new ArgumentError(`--stack: ${err.message}`) : err;
    }
}

export async function main(
    args: readonly string[],
    invoke: Invoke = invokeLambda,
    fargateClients: (region: string) => FargateBackupClients & { readonly destroy: () => void } = awsFargateBackupClients,
): Promise<number> {
    let parsed: BackupArgs | undefined;
    try {
        parsed = parseBackupArgs(args);
        if (parsed === undefined) {
            console.log(usage("backup", SYNOPSIS, OPTIONS));
            return 0;
        }
    } catch (err) {
        if (err instanceof ArgumentError) {
            console.error(`${redactText(err.message)}\n\n${usage("backup", SYNOPSIS, OPTIONS)}`);
            return 2;
        }
        throw err;
    }
    try {
        if (parsed.kind === "stack") {
            console.error(`invoking ${parsed.functionName} in ${parsed.region} (on-demand backup; waits until the manifest is written)`);
            const result = (await invoke(parsed.functionName, parsed.region, { trigger: "on-demand", ...(parsed.reason === undefined ? {} : { reason: parsed.reason }) })) as DumpResult;
            printStored(result, parsed.json);
            return 0;
        }
        if (parsed.kind === "fargate") {
            console.error(`running the dump task ${parsed.scheduleName} in ${parsed.region} as its schedule does (on-demand backup; waits until the task stops)`);
            const clients = fargateClients(parsed.region);
            try {
                const { taskArn, backup } = await runFargateBackup(
                    { scheduleName: parsed.scheduleName, database: parsed.database, ...(parsed.reason === undefined ? {} : { reason: parsed.reason }), waitSeconds: parsed.waitSeconds },
                    clients,
                    (line) => console.error(line),
                );
                const m = backup.manifest;
                printStored({ key: m.key, manifestKey: backup.manifestKey, tier: m.tier, sizeBytes: m.sizeBytes, sha256: m.sha256, durationMs: m.durationMs, taskArn }, parsed.json);
                return 0;
            } finally {
                clients.destroy();
            }
        }
        const s3 = cliS3Client(parsed.s3Endpoint, parsed.region);
        try {
            console.error(`dumping ${describeTarget(parsed.target)} to s3://${parsed.bucket}/${parsed.prefix}/${parsed.database}/`);
            const manifest: BackupManifest = await runDump(
                dumpSettings({
                    database: parsed.database,
                    bucket: parsed.bucket,
                    prefix: parsed.prefix,
                    pgDumpPath: findPgTool("pg_dump"),
                    trigger: "on-demand",
                    format: parsed.format,
                    ...(parsed.jobs === undefined ? {} : { jobs: parsed.jobs }),
                }),
                { s3, target: parsed.target, log: terminalLog() },
            );
            console.log(`backup ${manifest.key}`);
            console.log(`  ${manifest.tier}, ${formatBytes(manifest.sizeBytes)}, sha256 ${manifest.sha256}, ${manifest.tables.length} tables counted, ${(manifest.durationMs / 1000).toFixed(1)}s`);
            if (parsed.json) {
                console.log(JSON.stringify(manifest));
            }
            return 0;
        } finally {
            s3.destroy();
        }
    } catch (err) {
        console.error(`backup failed: ${redactedMessage(err)}`);
        return 1;
    }
}

/** What a `--stack` backup stored: the dump, its manifest, tier, size, checksum and duration. */
function printStored(result: Pick<DumpResult, "key" | "manifestKey" | "tier" | "sizeBytes" | "sha256" | "durationMs"> & { readonly taskArn?: string }, json: boolean): void {
    console.log(`backup ${result.key}`);
    console.log(`  manifest ${result.manifestKey}`);
    console.log(`  ${result.tier}, ${formatBytes(result.sizeBytes)}, sha256 ${result.sha256}, ${(result.durationMs / 1000).toFixed(1)}s`);
    if (json) {
        console.log(JSON.stringify(result));
    }
}

class FunctionError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "FunctionError";
    }
}

async function invokeLambda(functionName: string, region: string, payload: unknown): Promise<unknown> {
    const lambda = new LambdaClient({ region });
    try {
        const out = await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: "RequestResponse", Payload: Buffer.from(JSON.stringify(payload)) }));
        const body = out.Payload === undefined ? "" : Buffer.from(out.Payload).toString("utf8");
        if (out.FunctionError !== undefined) {
            const detail = ((): string => {
                try {
                    const e = JSON.parse(body) as { errorType?: string; errorMessage?: string };
                    return `${e.errorType ?? "Error"}: ${e.errorMessage ?? body}`;
                } catch {
                    return body;
                }
            })();
            throw new FunctionError(`${functionName} failed (${out.FunctionError}): ${detail}; nothing that looks like a backup was left`);
        }
        return JSON.parse(body) as unknown;
    } finally {
        lambda.destroy();
    }
}
