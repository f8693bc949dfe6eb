/** Log and metric recorders for the function cores' ports, and small S3 helpers for tests. */
import { GetObjectCommand, GetObjectTaggingCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import type { Log, MetricSink, MetricUnit } from "../../lambdas/shared/ports";

export interface LogEntry {
    readonly level: "debug" | "info" | "warn" | "error";
    readonly message: string;
    readonly extra: Record<string, unknown>;
}

export class RecordingLog implements Log {
    readonly entries: LogEntry[] = [];
    constructor(private readonly listener?: (e: LogEntry) => void) {}
    debug(message: string, extra: Record<string, unknown> = {}): void {
        this.push({ level: "debug", message, extra });
    }
    info(message: string, extra: Record<string, unknown> = {}): void {
        this.push({ level: "info", message, extra });
    }
    warn(message: string, extra: Record<string, unknown> = {}): void {
        this.push({ level: "warn", message, extra });
    }
    error(message: string, extra: Record<string, unknown> = {}): void {
        this.push({ level: "error", message, extra });
    }
    /** Everything logged, as one string, to search for leaked secrets. */
    text(): string {
        return this.entries.map((e) => `${e.level} ${e.message} ${JSON.stringify(e.extra)}`).join("\n");
    }
    private push(e: LogEntry): void {
        this.entries.push(e);
        this.listener?.(e);
    }
}

export interface MetricEntry {
    readonly name: string;
    readonly unit: MetricUnit;
    readonly value: number;
    readonly dimensions: Record<string, string>;
}

export class RecordingMetrics implements MetricSink {
    readonly entries: MetricEntry[] = [];
    add(name: string, unit: MetricUnit, value: number, dimensions: Record<string, string> = {}): void {
        this.entries.push({ name, unit, value, dimensions });
    }
    named(name: string): MetricEntry[] {
        return this.entries.filter((e) => e.name === name);
    }
}

/** Every key under a prefix (all pages). */
export async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 1000; page++) {
        const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        keys.push(...(out.Contents ?? []).map((o) => o.Key ?? ""));
        if (out.IsTruncated !== true) {
            break;
        }
        token = out.NextContinuationToken;
    }
    return keys.sort();
}

export async function getBytes(client: S3Client, bucket: string, key: string): Promise<Buffer> {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (out.Body === undefined) {
        throw new Error(`s3://${bucket}/${key} has no body`);
    }
    return Buffer.from(await out.Body.transformToByteArray());
}

export async function getTags(client: S3Client, bucket: string, key: string): Promise<Record<string, string>> {
    const out = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
    return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
}

export function sha256Hex(data: Buffer): string {
    return createHash("sha256").update(data).digest("hex");
}
