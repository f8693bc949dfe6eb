/**
 * The benchmark's measured process: runs the real dump core once and prints one JSON line with
 * its figures and the process's peak resident set size. The benchmark runs this file compiled to
 * plain JavaScript, as Lambda runs it, so the measured memory is the pipeline's and not a
 * TypeScript compiler's.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { runDump } from "../../lambdas/dump/dump";
import { dumpSettings, type DumpSettingsInput } from "../../lambdas/dump/settings";
import { compressionArgs } from "../../lambdas/dump/pgDump";
import { libpqEnv, type PgTarget } from "../../lambdas/shared/pgTarget";
import { majorOfToolVersion, toolVersion } from "../../lambdas/shared/pgTools";
import { uploadObject } from "../../lambdas/shared/upload";
import { localS3ClientConfig } from "./s3Client";

export interface BenchDumpRequest {
    /**
     * "ours": the dump core (hash, row counts, manifest); "bare": the same pg_dump archive streamed
     * straight into the same multipart upload with nothing else, the fair ceiling when the S3
     * server shares the machine.
     */
    readonly mode: "ours" | "bare";
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
    /** CPU time (user + system) of this process during the dump, all its threads; pg_dump's own is not in it. */
    readonly cpuSeconds: number;
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
    const cpuBefore = process.cpuUsage();
    const cpuSeconds = (): number => {
        const used = process.cpuUsage(cpuBefore);
        return (used.user + used.system) / 1e6;
    };
    if (request.mode === "bare") {
        const report = await bareStream(request, s3);
        s3.destroy();
        return { ...report, baselineRssBytes, peakRssBytes: peakRssBytes(), cpuSeconds: cpuSeconds() };
    }
    const manifest = await runDump(dumpSettings(request.settings), { s3, target: request.target, log });
    s3.destroy();
    return {
        key: manifest.key,
        sizeBytes: manifest.sizeBytes,
        sha256: manifest.sha256,
        durationMs: manifest.durationMs,
        baselineRssBytes,
        peakRssBytes: peakRssBytes(),
        cpuSeconds: cpuSeconds(),
    };
}

/** pg_dump's archive piped into the multipart upload as it comes: no hash, no counts, no manifest. */
async function bareStream(request: BenchDumpRequest, s3: S3Client): Promise<Pick<BenchDumpReport, "key" | "sizeBytes" | "sha256" | "durationMs">> {
    const settings = dumpSettings(request.settings);
    const pgDump = settings.pgDumpPath;
    const compression = compressionArgs(settings.compression, majorOfToolVersion(await toolVersion(pgDump)));
    const key = `bare/${settings.database}-${Date.now()}.dump`;
    const started = performance.now();
    const child = spawn(pgDump, ["--format=custom", "--blobs", "--no-password", ...compression], {
        env: { PATH: process.env["PATH"] ?? "", ...libpqEnv(request.target) },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
        stderr = (stderr + c.toString("utf8")).slice(-4000);
    });
    const exited = new Promise<void>((resolve, reject) => {
        child.once("error", reject);
        child.once("close", (code, signal) => (code === 0 ? resolve() : reject(new Error(`pg_dump failed (${signal ?? `exit ${String(code)}`}): ${stderr.trim()}`))));
    });
    let sizeBytes = 0;
    child.stdout.on("data", (c: Buffer) => {
        sizeBytes += c.length;
    });
    const quiet = { debug: (): void => undefined, info: (): void => undefined, warn: (): void => undefined, error: (): void => undefined };
    await Promise.all([
        uploadObject({
            client: s3,
            bucket: settings.bucket,
            key,
            body: child.stdout,
            contentType: "application/octet-stream",
            kmsKeyId: settings.kmsKeyId,
            tags: {},
            partSizeBytes: request.settings.partSizeBytes ?? 16 * 1024 * 1024,
            queueSize: settings.uploadConcurrency,
        }, quiet),
        exited,
    ]);
    return { key, sizeBytes, sha256: "", durationMs: performance.now() - started };
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
