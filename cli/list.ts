import { listBackups, type Catalog } from "../lambdas/shared/catalog";
import { redactedMessage, redactText } from "../lambdas/shared/redact";
import { ArgumentError, bucketOption, databaseOption, httpUrlOption, parseOptions, required, usage } from "./args";
import type { BackupStorage } from "../lambdas/shared/storage/port";
import { AZURE_STORAGE_OPTIONS, cliStorage, parseCloud } from "./storageOptions";
import { formatBytes, renderTable } from "./output";

/** `list`: the backups of one database, newest first, read from their manifests only. */

const OPTIONS = {
    bucket: { type: "string", value: "BUCKET", description: "backup bucket (required with --cloud aws)" },
    database: { type: "string", value: "NAME", description: "logical database name, the key segment after the prefix (required)" },
    prefix: { type: "string", value: "PREFIX", description: 'key prefix of the dumps (default "backups")' },
    "s3-endpoint": { type: "string", value: "URL", description: "S3-compatible endpoint, path-style (default: AWS)" },
    region: { type: "string", value: "REGION", description: "AWS region (default: AWS_REGION; us-east-1 with --s3-endpoint)" },
    ...AZURE_STORAGE_OPTIONS,
    json: { type: "boolean", description: "print one JSON document instead of the table" },
} as const;

const SYNOPSIS = "(--bucket B [--s3-endpoint URL] [--region R] | --cloud azure --blob-endpoint URL --container C) --database D [--prefix P] [--json]";

/** Key prefix of the dumps when none is given (the stack's `storage.prefix` default). */
export const DEFAULT_PREFIX = "backups";

export interface ListArgs {
    /** The bucket, or with `blobEndpoint` the container. */
    readonly bucket: string;
    /** Set with `--cloud azure`: the storage account's blob endpoint. */
    readonly blobEndpoint?: string;
    readonly database: string;
    readonly prefix: string;
    readonly s3Endpoint?: string;
    readonly region?: string;
    readonly json: boolean;
}

/** undefined means `--help`. Throws ArgumentError naming the argument. */
export function parseListArgs(args: readonly string[]): ListArgs | undefined {
    const o = parseOptions(args, OPTIONS);
    if (o === undefined) {
        return undefined;
    }
    const s3Endpoint = httpUrlOption("s3-endpoint", o["s3-endpoint"]);
    const azure = parseCloud(o, { bucket: o.bucket, "s3-endpoint": o["s3-endpoint"], region: o.region });
    return {
        ...(azure === undefined ? { bucket: required("bucket", bucketOption("bucket", o.bucket), "an S3 bucket name") } : { bucket: azure.container, blobEndpoint: azure.blobEndpoint }),
        database: required("database", databaseOption("database", o.database), "a logical database name"),
        prefix: o.prefix ?? DEFAULT_PREFIX,
        ...(s3Endpoint === undefined ? {} : { s3Endpoint }),
        ...(o.region === undefined ? {} : { region: o.region }),
        json: o.json === true,
    };
}

export async function main(args: readonly string[]): Promise<number> {
    let parsed: ListArgs | undefined;
    let storage: BackupStorage;
    let close: () => void;
    try {
        parsed = parseListArgs(args);
        if (parsed === undefined) {
            console.log(usage("list", SYNOPSIS, OPTIONS));
            return 0;
        }
        ({ storage, close } = cliStorage(parsed));
    } catch (err) {
        if (err instanceof ArgumentError) {
            console.error(`${redactText(err.message)}\n\n${usage("list", SYNOPSIS, OPTIONS)}`);
            return 2;
        }
        throw err;
    }
    try {
        const catalog = await listBackups(storage, { prefix: parsed.prefix, database: parsed.database });
        if (parsed.json) {
            console.log(JSON.stringify(catalogJson(catalog)));
        } else {
            console.log(renderCatalog(catalog));
            for (const p of catalog.problems) {
                console.error(`warning: unusable manifest: ${p.reason}`);
            }
            for (const key of catalog.withoutManifest) {
                console.error(`note: ${key} has no manifest and is not a backup`);
            }
        }
        return 0;
    } catch (err) {
        console.error(`list failed: ${redactedMessage(err)}`);
        return 1;
    } finally {
        close();
    }
}

/** The table the command prints: newest first; a listed size different from the manifest's is flagged. */
export function renderCatalog(catalog: Catalog): string {
    if (catalog.backups.length === 0) {
        return `no backups for database "${catalog.database}" in ${catalog.location}`;
    }
    const rows = catalog.backups.map((b) => [
        b.manifest.startedAt,
        b.manifest.tier,
        formatBytes(b.manifest.sizeBytes) + (b.objectSizeBytes === b.manifest.sizeBytes ? "" : ` (object is ${b.objectSizeBytes} B)`),
        b.manifest.sha256.slice(0, 12),
        b.manifest.key,
    ]);
    return renderTable(["STARTED (UTC)", "TIER", "SIZE", "SHA256", "KEY"], rows);
}

/** What `--json` prints. */
export function catalogJson(catalog: Catalog): unknown {
    return {
        bucket: catalog.bucket,
        database: catalog.database,
        backups: catalog.backups.map((b) => ({
            key: b.manifest.key,
            startedAt: b.manifest.startedAt,
            finishedAt: b.manifest.finishedAt,
            tier: b.manifest.tier,
            trigger: b.manifest.trigger,
            sizeBytes: b.manifest.sizeBytes,
            objectSizeBytes: b.objectSizeBytes,
            sha256: b.manifest.sha256,
            serverVersion: b.manifest.serverVersion,
            pgDumpVersion: b.manifest.pgDumpVersion,
            tables: b.manifest.tables.length,
        })),
        problems: catalog.problems.map((p) => ({ key: p.key, reason: p.reason })),
        withoutManifest: catalog.withoutManifest,
    };
}
