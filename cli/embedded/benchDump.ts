/**
 * The benchmark's measured process: runs the real dump core once and prints one JSON line with
 * its figures and the process's peak resident set size. The benchmark runs this file compiled to
 * plain JavaScript, as Lambda runs it, so the measured memory is the pipeline's and not a
 * TypeScript compiler's.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { readFileSync } from "node:fs";
import { dumpSettings, runDump, type DumpSettingsInput } from "../../lambdas/dump/dump";
import type { PgTarget } from "../../lambdas/shared/pgTarget";
import { localS3ClientConfig } from "./s3Client";

export interface BenchDumpRequest {
    readonly settings: DumpSettingsInput;
    readonly target: PgTarget;
    readonly s3Endpoint: string;
}

export interface BenchDumpReport {
    readonly key: string;
    readonly sizeBytes: number;
    readonly sha256: string;
    readonly durationMs: number;
    /** RSS once everything is loaded, before the dump starts. */
    readonly baselineRssBytes: number;
    /** Peak RSS of the whole process (VmHWM). */
    readonly peakRssBytes: number;
}

/** VmHWM from /proc (Linux), else Node's maxRSS. */
export function peakRssBytes(): number {
    try {
        const status = readFileSync("/proc/self/status", "utf8");
        const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
        if (m?.[1] !== undefined) {
            return Number(m[1]) * 1024;
        }
    } catch {
        // not Linux: fall through to Node's own figure
    }
    return process.resourceUsage().maxRSS * 1024;
}

async function main(request: BenchDumpRequest): Promise<BenchDumpReport> {
    const s3 = new S3Client(localS3ClientConfig(request.s3Endpoint));
    const quiet = { debug: (): void => undefined, info: (): void => undefined, warn: (): void => undefined };
    const log = { ...quiet, error: (message: string, extra?: Record<string, unknown>): void => console.error(message, JSON.stringify(extra ?? {})) };
    const baselineRssBytes = process.memoryUsage().rss;
    const manifest = await runDump(dumpSettings(request.settings), { s3, target: request.target, log });
    s3.destroy();
    return {
        key: manifest.key,
        sizeBytes: manifest.sizeBytes,
        sha256: manifest.sha256,
        durationMs: manifest.durationMs,
        baselineRssBytes,
        peakRssBytes: peakRssBytes(),
    };
}

/** The request comes on stdin, so a database password never shows on a command line. */
async function readRequest(): Promise<BenchDumpRequest> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) {
        chunks.push(chunk as Buffer);
    }
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as BenchDumpRequest;
}

if (require.main === module) {
    readRequest()
        .then(main)
        .then(
            (report) => {
                process.stdout.write(`${JSON.stringify(report)}\n`);
            },
            (err: unknown) => {
                console.error(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
                process.exitCode = 1;
            },
        );
}
