/**
 * Backups written straight with pg_dump and PutObject, independent of the dump function, so the
 * restore and verify tests can shape exactly the object and manifest a case needs (old, tampered,
 * small). The round-trip tests use the real dump function instead.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { Client } from "pg";
import { contentChecksums as drillContentChecksums } from "../../cli/drill/database";
import { dumpKey, manifestKey } from "../../lambdas/shared/keys";
import { MANIFEST_FORMAT_VERSION, type BackupManifest, type TableCount } from "../../lambdas/shared/manifest";
import type { TierName } from "../../lambdas/shared/tiers";
import { libpqEnv, parsePostgresUrl, quoteIdent } from "../../lambdas/shared/pgTarget";
import { findPgTool, toolVersion } from "../../lambdas/shared/pgTools";

const execFileAsync = promisify(execFile);

export interface FixtureBackupOptions {
    readonly s3: S3Client;
    readonly bucket: string;
    readonly prefix: string;
    readonly database: string;
    /** The database to dump. */
    readonly sourceUrl: string;
    readonly binDir: string;
    /** When the backup says it started. @default now */
    readonly at?: Date;
    readonly tier?: TierName;
    /** Changes the manifest before it is written (after the object is). */
    readonly editManifest?: (m: BackupManifest) => BackupManifest;
    /** Replaces the archive bytes written (the manifest describes what is written). */
    readonly editArchive?: (archive: Buffer) => Buffer;
    /** Write the dump object but no manifest. */
    readonly withoutManifest?: boolean;
}

/** Exact row counts of every table, partition and materialized view outside the system schemas. */
export async function countTables(url: string): Promise<TableCount[]> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
        const rels = await client.query<{ schema: string; name: string }>(
            `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
             ORDER BY 1, 2`,
        );
        const out: TableCount[] = [];
        for (const r of rels.rows) {
            const res = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(r.schema)}.${quoteIdent(r.name)}`);
            out.push({ schema: r.schema, name: r.name, rows: Number(res.rows[0]?.n) });
        }
        return out;
    } finally {
        await client.end();
    }
}

/** The drill's content fingerprint of the database at `url`: two databases with equal maps hold the same data. */
export function contentChecksums(url: string): Promise<Map<string, string>> {
    return drillContentChecksums(parsePostgresUrl(url, "url"));
}

export interface FixtureBackup {
    readonly manifest: BackupManifest;
    readonly archive: Buffer;
}

/** pg_dump -Fc of the source, uploaded as a dump object with (unless told otherwise) its manifest. */
export async function putFixtureBackup(o: FixtureBackupOptions): Promise<FixtureBackup> {
    const pgDump = findPgTool("pg_dump", o.binDir);
    const target = parsePostgresUrl(o.sourceUrl, "sourceUrl");
    const startedAt = o.at ?? new Date();
    const tables = await countTables(o.sourceUrl);
    const { stdout } = await execFileAsync(pgDump, ["--format=custom", "--blobs", "-Z", "1"], {
        env: { PATH: process.env.PATH ?? "", ...libpqEnv(target) },
        encoding: "buffer",
        maxBuffer: 512 * 1024 * 1024,
    });
    const archive = o.editArchive === undefined ? stdout : o.editArchive(stdout);
    const versionRow = await serverVersion(o.sourceUrl);
    const runId = randomBytes(4).toString("hex");
    const key = dumpKey(o.prefix, o.database, o.tier ?? "daily", startedAt, runId);
    const base: BackupManifest = {
        formatVersion: MANIFEST_FORMAT_VERSION,
        database: o.database,
        bucket: o.bucket,
        key,
        tier: o.tier ?? "daily",
        runId,
        trigger: "schedule",
        sizeBytes: archive.length,
        sha256: createHash("sha256").update(archive).digest("hex"),
        serverVersion: versionRow.version,
        serverVersionNum: versionRow.num,
        pgDumpVersion: await toolVersion(pgDump),
        compression: { method: "gzip", level: 1 },
        startedAt: startedAt.toISOString(),
        finishedAt: new Date(startedAt.getTime() + 1000).toISOString(),
        durationMs: 1000,
        tables,
        source: { host: target.host, port: target.port, database: target.database },
    };
    const manifest = o.editManifest === undefined ? base : o.editManifest(base);
    await o.s3.send(new PutObjectCommand({ Bucket: o.bucket, Key: key, Body: archive }));
    if (o.withoutManifest !== true) {
        await o.s3.send(new PutObjectCommand({ Bucket: o.bucket, Key: manifestKey(key), Body: JSON.stringify(manifest), ContentType: "application/json" }));
    }
    return { manifest, archive };
}

/** Replaces a stored object's bytes (to corrupt or truncate it after the manifest was written). */
export async function rewriteObject(s3: S3Client, bucket: string, key: string, edit: (body: Buffer) => Buffer): Promise<void> {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const body = Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: edit(body) }));
}

async function serverVersion(url: string): Promise<{ version: string; num: number }> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
        const r = await client.query<{ v: string; n: string }>("SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n");
        return { version: r.rows[0]?.v ?? "", num: Number(r.rows[0]?.n) };
    } finally {
        await client.end();
    }
}
