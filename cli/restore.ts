import type { S3Client } from "@aws-sdk/client-s3";
import { listBackups, selectBackup, type BackupSelector } from "../lambdas/shared/catalog";
import { describeTarget, parsePostgresUrl, PgTargetError, type PgTarget } from "../lambdas/shared/pgTarget";
import { restoreBackup, type RestoreResult } from "../lambdas/shared/restore";
import { ArgumentError, bucketOption, databaseOption, httpUrlOption, integerOption, parseOptions, required, timeOption, usage } from "./args";
import { cliS3Client } from "./clients";
import { DEFAULT_PREFIX } from "./list";
import { formatBytes, renderTable, terminalLog } from "./output";

/** `restore`: one backup into a new database, with the row counts compared against the manifest. */

const OPTIONS = {
    bucket: { type: "string", value: "BUCKET", description: "backup bucket (required)" },
    database: { type: "string", value: "NAME", description: "logical database name the backup belongs to (required)" },
    key: { type: "string", value: "KEY", description: "restore this backup (a key from `list`)" },
    latest: { type: "boolean", description: "restore the newest backup" },
    before: { type: "string", value: "ISO-TIME", description: "restore the newest backup started at or before this time, ISO-8601 with a zone (e.g. 2026-11-21T12:00:00Z)" },
    "target-url": { type: "string", value: "URL", description: "postgres://user@host:port/newdb: server and NEW database to create (required; password from the URL or PGPASSWORD)" },
    overwrite: { type: "boolean", description: "drop and recreate the target database if it exists (default: refuse)" },
    jobs: { type: "string", value: "N", description: "parallel pg_restore jobs, 1..64 (default: min(4, CPUs))" },
    "no-privileges": { type: "boolean", description: "skip GRANT/REVOKE (for a server without the source's roles)" },
    "keep-owner": { type: "boolean", description: "restore object ownership (default: --no-owner, objects owned by the target user)" },
    prefix: { type: "string", value: "PREFIX", description: 'key prefix of the dumps (default "backups")' },
    "s3-endpoint": { type: "string", value: "URL", description: "S3-compatible endpoint, path-style (default: AWS)" },
    region: { type: "string", value: "REGION", description: "AWS region (default: AWS_REGION; us-east-1 with --s3-endpoint)" },
    "temp-dir": { type: "string", value: "DIR", description: "where the backup is downloaded to (default: the OS temp dir)" },
    json: { type: "boolean", description: "print one JSON line with the result last" },
} as const;

const SYNOPSIS = "--bucket B --database D (--key K | --latest | --before ISO-TIME) --target-url postgres://.../newdb [--overwrite] [--jobs N] [--s3-endpoint URL]";

export interface RestoreArgs {
    readonly bucket: string;
    readonly database: string;
    readonly selector: BackupSelector;
    readonly target: PgTarget;
    readonly overwrite: boolean;
    readonly jobs?: number;
    readonly noPrivileges: boolean;
    readonly keepOwner: boolean;
    readonly prefix: string;
    readonly s3Endpoint?: string;
    readonly region?: string;
    readonly tempDir?: string;
    readonly json: boolean;
}

/** undefined means `--help`. Throws ArgumentError naming the argument, the value and what is allowed. */
export function parseRestoreArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): RestoreArgs | undefined {
    const o = parseOptions(args, OPTIONS);
    if (o === undefined) {
        return undefined;
    }
    const bucket = required("bucket", bucketOption("bucket", o.bucket), "an S3 bucket name");
    const database = required("database", databaseOption("database", o.database), "a logical database name");
    const chosen = [o.key !== undefined ? "--key" : undefined, o.latest === true ? "--latest" : undefined, o.before !== undefined ? "--before" : undefined].filter(
        (s): s is string => s !== undefined,
    );
    if (chosen.length !== 1) {
        throw new ArgumentError(
            chosen.length === 0 ? "--key, --latest or --before: missing; expected exactly one of them to choose the backup" : `${chosen.join(", ")}: given together; expected exactly one of --key, --latest, --before`,
        );
    }
    const before = timeOption("before", o.before);
    const selector: BackupSelector = o.key !== undefined ? { key: o.key } : before !== undefined ? { before } : { latest: true };
    const url = required("target-url", o["target-url"], "postgres://user@host:port/newdb");
    let target: PgTarget;
    try {
        target = parsePostgresUrl(url, "--target-url");
    } catch (err) {
        if (err instanceof PgTargetError) {
            throw new ArgumentError(err.message);
        }
        throw err;
    }
    if (target.password === undefined && env.PGPASSWORD !== undefined && env.PGPASSWORD !== "") {
        target = { ...target, password: env.PGPASSWORD };
    }
    const jobs = integerOption("jobs", o.jobs, 1, 64);
    const s3Endpoint = httpUrlOption("s3-endpoint", o["s3-endpoint"]);
    return {
        bucket,
        database,
        selector,
        target,
        overwrite: o.overwrite === true,
        ...(jobs === undefined ? {} : { jobs }),
        noPrivileges: o["no-privileges"] === true,
        keepOwner: o["keep-owner"] === true,
        prefix: o.prefix ?? DEFAULT_PREFIX,
        ...(s3Endpoint === undefined ? {} : { s3Endpoint }),
        ...(o.region === undefined ? {} : { region: o.region }),
        ...(o["temp-dir"] === undefined ? {} : { tempDir: o["temp-dir"] }),
        json: o.json === true,
    };
}

export async function main(args: readonly string[]): Promise<number> {
    let parsed: RestoreArgs | undefined;
    let s3: S3Client;
    try {
        parsed = parseRestoreArgs(args);
        if (parsed === undefined) {
            console.log(usage("restore", SYNOPSIS, OPTIONS));
            return 0;
        }
        s3 = cliS3Client(parsed.s3Endpoint, parsed.region);
    } catch (err) {
        if (err instanceof ArgumentError) {
            console.error(`${err.message}\n\n${usage("restore", SYNOPSIS, OPTIONS)}`);
            return 2;
        }
        throw err;
    }
    const log = terminalLog();
    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
        const catalog = await listBackups(s3, { bucket: parsed.bucket, prefix: parsed.prefix, database: parsed.database });
        const backup = selectBackup(catalog, parsed.selector);
        const m = backup.manifest;
        console.log(`restoring s3://${parsed.bucket}/${m.key}`);
        console.log(`  taken ${m.startedAt} (${m.tier}), ${formatBytes(m.sizeBytes)}, sha256 ${m.sha256}, ${m.serverVersion} via ${m.pgDumpVersion}`);
        console.log(`  into ${describeTarget(parsed.target)}${parsed.overwrite ? " (overwrite: an existing database is dropped first)" : ""}`);
        const result = await restoreBackup({
            s3,
            bucket: parsed.bucket,
            manifest: m,
            target: parsed.target,
            overwrite: parsed.overwrite,
            noOwner: !parsed.keepOwner,
            noPrivileges: parsed.noPrivileges,
            log,
            signal: controller.signal,
            ...(parsed.jobs === undefined ? {} : { jobs: parsed.jobs }),
            ...(parsed.tempDir === undefined ? {} : { tempDir: parsed.tempDir }),
        });
        console.log(renderRestoreResult(result));
        if (parsed.json) {
            console.log(JSON.stringify(restoreJson(result)));
        }
        return result.rowCountsMatch ? 0 : 1;
    } catch (err) {
        console.error(`restore failed: ${err instanceof Error ? err.message : String(err)}`);
        return 1;
    } finally {
        process.removeListener("SIGINT", onSignal);
        process.removeListener("SIGTERM", onSignal);
        s3.destroy();
    }
}

/** What was done and the row counts against the manifest. */
export function renderRestoreResult(r: RestoreResult): string {
    const lines = [
        `${r.replaced ? "replaced" : "created"} database ${r.database} on PostgreSQL ${r.serverVersion} with ${r.pgRestoreVersion}, ${r.jobs} job(s)`,
        `  ${formatBytes(r.sizeBytes)} in ${r.totalSeconds.toFixed(1)}s (download and check ${r.downloadSeconds.toFixed(1)}s, pg_restore ${r.pgRestoreSeconds.toFixed(1)}s); sha256 ${r.sha256} matches the manifest`,
        "",
        renderTable(
            ["TABLE", "MANIFEST", "RESTORED", "MATCH"],
            r.tables.map((t) => [`${t.schema}.${t.name}`, t.expected, t.actual === null ? "missing" : t.actual, t.ok ? "yes" : "NO"]),
        ),
        "",
        r.rowCountsMatch
            ? `all ${r.tables.length} table(s) match the manifest`
            : `${r.tables.filter((t) => !t.ok).length} of ${r.tables.length} table(s) do NOT match the manifest; the database was kept for inspection`,
    ];
    return lines.join("\n");
}

function restoreJson(r: RestoreResult): unknown {
    return {
        ok: r.rowCountsMatch,
        key: r.key,
        database: r.database,
        replaced: r.replaced,
        sizeBytes: r.sizeBytes,
        sha256: r.sha256,
        jobs: r.jobs,
        downloadSeconds: r.downloadSeconds,
        pgRestoreSeconds: r.pgRestoreSeconds,
        totalSeconds: r.totalSeconds,
        tables: r.tables,
    };
}
