import { listBackups, selectBackup, type BackupSelector } from "../lambdas/shared/catalog";
import { describeTarget, quoteIdent, type PgTarget } from "../lambdas/shared/pgTarget";
import { describeLocale } from "../lambdas/shared/databaseLocale";
import type { BackupManifest } from "../lambdas/shared/manifest";
import { KILL_GRACE_MS } from "../lambdas/shared/processGroup";
import { restoreBackup, type RestoreResult } from "../lambdas/shared/restore";
import { databaseExistsOn, describeCounts } from "../lambdas/shared/restoreTarget";
import { redactedMessage, redactText } from "../lambdas/shared/redact";
import { ArgumentError, bucketOption, databaseOption, httpUrlOption, integerOption, parseOptions, postgresUrlOption, required, timeOption, usage } from "./args";
import type { BackupStorage } from "../lambdas/shared/storage/port";
import { AZURE_STORAGE_OPTIONS, cliStorage, parseCloud } from "./storageOptions";
import { DEFAULT_PREFIX } from "./list";
import { isSameDatabase } from "./sourceGuard";
import { formatBytes, renderTable, terminalLog, warnLine } from "./output";

/** `restore`: one backup into a new database, with the row counts compared against the manifest. */

const OPTIONS = {
    bucket: { type: "string", value: "BUCKET", description: "backup bucket (required with --cloud aws)" },
    database: { type: "string", value: "NAME", description: "logical database name the backup belongs to (required)" },
    key: { type: "string", value: "KEY", description: "restore this backup (a key from `list`)" },
    latest: { type: "boolean", description: "restore the newest backup" },
    before: { type: "string", value: "ISO-TIME", description: "restore the newest backup started at or before this time, ISO-8601 with a zone (e.g. 2026-11-21T12:00:00Z)" },
    "skip-unusable-newer": { type: "boolean", description: "with --latest or --before: restore the newest usable backup even when a newer one is unusable (default: refuse, naming it)" },
    "target-url": { type: "string", value: "URL", description: "postgres://user@host:port/newdb: server and NEW database to create (required; password from the URL, PGPASSWORD or the password file PGPASSFILE / ~/.pgpass)" },
    overwrite: { type: "boolean", description: "replace the target database if it exists, once the restore into a new copy has finished with every row count matching, ending its sessions after naming them (default: refuse)" },
    "overwrite-source": { type: "boolean", description: "with --overwrite: allow the target to be the backup's own source database (default: refuse)" },
    jobs: { type: "string", value: "N", description: "parallel pg_restore jobs, 1..64 (default: min(4, CPUs))" },
    "no-privileges": { type: "boolean", description: "skip GRANT/REVOKE (for a server without the source's roles)" },
    "c-locale": { type: "boolean", description: "create the database with the backup's encoding and the C locale, for a server without the backup's locale (default: the backup's encoding and locale, refusing a server that cannot create them)" },
    "keep-owner": { type: "boolean", description: "restore object ownership (default: --no-owner, objects owned by the target user)" },
    prefix: { type: "string", value: "PREFIX", description: 'key prefix of the dumps (default "backups")' },
    "s3-endpoint": { type: "string", value: "URL", description: "S3-compatible endpoint, path-style (default: AWS)" },
    region: { type: "string", value: "REGION", description: "AWS region (default: AWS_REGION; us-east-1 with --s3-endpoint)" },
    ...AZURE_STORAGE_OPTIONS,
    "temp-dir": { type: "string", value: "DIR", description: "where the backup is downloaded to (default: the OS temp dir)" },
    json: { type: "boolean", description: "print one JSON line with the result last" },
} as const;

const SYNOPSIS = "(--bucket B | --cloud azure --blob-endpoint URL --container C) --database D (--key K | --latest | --before ISO-TIME) --target-url postgres://.../newdb [--overwrite] [--jobs N] [--s3-endpoint URL]";

export interface RestoreArgs {
    /** The bucket, or with `blobEndpoint` the container. */
    readonly bucket: string;
    /** Set with `--cloud azure`: the storage account's blob endpoint. */
    readonly blobEndpoint?: string;
    readonly database: string;
    readonly selector: BackupSelector;
    readonly skipUnusableNewer: boolean;
    readonly target: PgTarget;
    readonly overwrite: boolean;
    readonly overwriteSource: boolean;
    readonly jobs?: number;
    readonly noPrivileges: boolean;
    readonly keepOwner: boolean;
    readonly cLocale: boolean;
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
    const azure = parseCloud(o, { bucket: o.bucket, "s3-endpoint": o["s3-endpoint"], region: o.region });
    const bucket = azure?.container ?? required("bucket", bucketOption("bucket", o.bucket), "an S3 bucket name");
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
    if (o["skip-unusable-newer"] === true && o.key !== undefined) {
        throw new ArgumentError("--skip-unusable-newer: not allowed with --key; it applies to --latest and --before only");
    }
    const target = required("target-url", postgresUrlOption("target-url", o["target-url"], env, warnLine), "postgres://user@host:port/newdb");
    if (o["overwrite-source"] === true && o.overwrite !== true) {
        throw new ArgumentError("--overwrite-source: only with --overwrite; it allows the overwrite to replace the backup's own source database");
    }
    const jobs = integerOption("jobs", o.jobs, 1, 64);
    const s3Endpoint = httpUrlOption("s3-endpoint", o["s3-endpoint"]);
    return {
        bucket,
        ...(azure === undefined ? {} : { blobEndpoint: azure.blobEndpoint }),
        database,
        selector,
        skipUnusableNewer: o["skip-unusable-newer"] === true,
        target,
        overwrite: o.overwrite === true,
        overwriteSource: o["overwrite-source"] === true,
        ...(jobs === undefined ? {} : { jobs }),
        noPrivileges: o["no-privileges"] === true,
        keepOwner: o["keep-owner"] === true,
        cLocale: o["c-locale"] === true,
        prefix: o.prefix ?? DEFAULT_PREFIX,
        ...(s3Endpoint === undefined ? {} : { s3Endpoint }),
        ...(o.region === undefined ? {} : { region: o.region }),
        ...(o["temp-dir"] === undefined ? {} : { tempDir: o["temp-dir"] }),
        json: o.json === true,
    };
}

export async function main(args: readonly string[]): Promise<number> {
    let parsed: RestoreArgs | undefined;
    let storage: BackupStorage;
    let close: () => void;
    try {
        parsed = parseRestoreArgs(args);
        if (parsed === undefined) {
            console.log(usage("restore", SYNOPSIS, OPTIONS));
            return 0;
        }
        ({ storage, close } = cliStorage(parsed));
    } catch (err) {
        if (err instanceof ArgumentError) {
            console.error(`${redactText(err.message)}\n\n${usage("restore", SYNOPSIS, OPTIONS)}`);
            return 2;
        }
        throw err;
    }
    const log = terminalLog();
    const controller = new AbortController();
    let created: string | undefined;
    let interruptedCode: number = INTERRUPTED_BY.SIGINT;
    // Every interrupt is handled here (none ends the process): the first stops the work, later ones
    // only say what is still being done, so the cleanup always runs to its end.
    const onSignal = (signal: NodeJS.Signals): void => {
        if (!controller.signal.aborted) {
            interruptedCode = signal === "SIGTERM" ? INTERRUPTED_BY.SIGTERM : INTERRUPTED_BY.SIGINT;
            console.error(`${signal} received: stopping the restore; the database it created and the downloaded file are removed before it exits`);
            controller.abort();
        } else {
            console.error(`${signal} received again: still stopping (pg_restore is killed at the latest ${KILL_GRACE_MS / 1000} s after the first interrupt), then ${created === undefined ? "" : `database ${created} is dropped and `}the downloaded file removed`);
        }
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
        const catalog = await listBackups(storage, { prefix: parsed.prefix, database: parsed.database });
        const backup = selectBackup(catalog, parsed.selector, {
            skipUnusableNewer: parsed.skipUnusableNewer,
            onSkipped: (skipped) => skipped.forEach((p) => warnLine(`skipping a newer, unusable backup (--skip-unusable-newer): ${p.reason}`)),
        });
        const m = backup.manifest;
        if (parsed.overwrite && !parsed.overwriteSource) {
            await refuseOverwritingSource(parsed.target, m);
        }
        console.log(`restoring ${storage.describe(m.key)}`);
        console.log(`  taken ${m.startedAt} (${m.tier}), ${formatBytes(m.sizeBytes)}, sha256 ${m.sha256}, ${m.serverVersion} via ${m.pgDumpVersion}`);
        console.log(`  into ${describeTarget(parsed.target)}${parsed.overwrite ? " (overwrite: an existing database is replaced once the restore has finished with matching row counts; its sessions are named, then ended)" : ""}`);
        const result = await restoreBackup({
            storage,
            manifest: m,
            target: parsed.target,
            overwrite: parsed.overwrite,
            noOwner: !parsed.keepOwner,
            noPrivileges: parsed.noPrivileges,
            cLocale: parsed.cLocale,
            log,
            signal: controller.signal,
            onDatabaseCreated: (name) => {
                created = name;
            },
            ...(parsed.jobs === undefined ? {} : { jobs: parsed.jobs }),
            ...(parsed.tempDir === undefined ? {} : { tempDir: parsed.tempDir }),
        });
        console.log(renderRestoreResult(result));
        if (result.database !== parsed.target.database) {
            console.log(`the existing database ${parsed.target.database} was left as it was; the restored copy is ${result.database}`);
        }
        if (controller.signal.aborted) {
            console.error(`interrupted after the restore had finished: database ${result.database} is complete and was kept`);
            return interruptedCode;
        }
        if (parsed.json) {
            console.log(JSON.stringify(restoreJson(result)));
        }
        return result.rowCountsMatch ? 0 : 1;
    } catch (err) {
        console.error(`restore failed: ${redactedMessage(err)}`);
        if (controller.signal.aborted) {
            console.error(`interrupted: ${await leftBehind(parsed.target, created)}`);
            return interruptedCode;
        }
        return 1;
    } finally {
        // After an interrupt the handlers stay until the process exits: one more Ctrl-C must not kill it with a signal status.
        if (!controller.signal.aborted) {
            process.removeListener("SIGINT", onSignal);
            process.removeListener("SIGTERM", onSignal);
        }
        close();
    }
}

/** Exit codes after an interrupt, as a shell reports the signal (128 + its number). */
const INTERRUPTED_BY = { SIGINT: 130, SIGTERM: 143 } as const;

/** What an interrupted restore left on the server, and how to remove it. */
async function leftBehind(target: PgTarget, created: string | undefined): Promise<string> {
    if (created === undefined) {
        return "stopped before creating a database; the downloaded file was removed; nothing is left behind";
    }
    const where = `${target.host}:${target.port}`;
    try {
        if (!(await databaseExistsOn({ target }, created))) {
            return `database ${created} (created by this restore) was dropped and the downloaded file removed; nothing is left behind`;
        }
    } catch (err) {
        return `could not check whether database ${created} on ${where} is still there (${redactedMessage(err)}); if it is, remove it with: DROP DATABASE ${quoteIdent(created)} WITH (FORCE);`;
    }
    return `database ${created} on ${where} (created by this restore, half restored) is LEFT BEHIND; remove it with: DROP DATABASE ${quoteIdent(created)} WITH (FORCE);`;
}

/** Throws OverwriteSourceError when `target` is (or, for a manifest that does not record its source, may be) the backup's source database. */
async function refuseOverwritingSource(target: PgTarget, m: BackupManifest): Promise<void> {
    if (m.source === undefined) {
        throw new OverwriteSourceError(
            `--overwrite: the manifest of ${m.key} does not record which server it was taken from, so ${describeTarget(target)} may be its source database; pass --overwrite-source as well to replace it anyway`,
        );
    }
    if (await isSameDatabase(target, m.source)) {
        throw new OverwriteSourceError(
            `--overwrite: ${describeTarget(target)} is the database this backup was taken from (${m.source.host}:${m.source.port}/${m.source.database}); ` +
                "refusing to replace it with the backup's older data; restore into a new database, or pass --overwrite-source as well to replace it anyway",
        );
    }
}

class OverwriteSourceError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "OverwriteSourceError";
    }
}

/** What was done and the row counts against the manifest. */
export function renderRestoreResult(r: RestoreResult): string {
    const lines = [
        `${r.replaced ? "replaced" : "created"} database ${r.database} on PostgreSQL ${r.serverVersion} with ${r.pgRestoreVersion}, ${r.jobs} job(s)`,
        `  encoding and locale: ${describeLocale(r.locale)}`,
        `  the source database's own properties: ${r.properties.applied.length} carried over${r.properties.notApplied.length === 0 ? "" : `, ${r.properties.notApplied.length} NOT:`}`,
        ...r.properties.notApplied.map((s) => `    ${s}`),
        `  ${formatBytes(r.sizeBytes)} in ${r.totalSeconds.toFixed(1)}s (download and check ${r.downloadSeconds.toFixed(1)}s, pg_restore ${r.pgRestoreSeconds.toFixed(1)}s); sha256 ${r.sha256} matches the manifest`,
        "",
        renderTable(
            ["TABLE", "MANIFEST", "RESTORED", "MATCH"],
            r.tables.map((t) => [`${t.schema}.${t.name}`, t.expected, t.actual === null ? "missing" : t.actual, t.ok ? "yes" : "NO"]),
        ),
        "",
        r.rowCountsMatch
            ? `all ${r.tables.length} table(s) match the manifest${r.largeObjects === undefined ? "" : `, and its ${r.largeObjects.actual} large object(s)`}`
            : `${describeCounts(r.tables, r.largeObjects)}: the restore does NOT match the manifest; the database was kept for inspection`,
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
        locale: r.locale,
        properties: r.properties,
        downloadSeconds: r.downloadSeconds,
        pgRestoreSeconds: r.pgRestoreSeconds,
        totalSeconds: r.totalSeconds,
        tables: r.tables,
        ...(r.largeObjects === undefined ? {} : { largeObjects: r.largeObjects }),
    };
}
