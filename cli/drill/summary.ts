import type { MetricUnit } from "../../lambdas/shared/ports";
import { AZURITE_ACCOUNT_KEY } from "../embedded/azurite";
import { formatBytes, renderTable } from "../output";

/** What a drill found, and how it is printed. */

export interface DrillCheck {
    readonly name: string;
    readonly ok: boolean;
    readonly detail: string;
}

export interface DrillSummary {
    readonly ok: boolean;
    readonly database: string;
    readonly bucket: string;
    /** Where the backups went: `s3://bucket` or the container's URL. */
    readonly location?: string;
    readonly key?: string;
    readonly sizeBytes?: number;
    readonly sourceBytes?: number;
    readonly sha256?: string;
    readonly dumpSeconds?: number;
    /** Archive bytes written per second of the dump, MiB/s. */
    readonly dumpMiBps?: number;
    readonly tables?: number;
    readonly rows?: number;
    readonly restoreSeconds?: number;
    readonly rtoSeconds: number;
    readonly checks: readonly DrillCheck[];
    readonly metrics: readonly { readonly name: string; readonly unit: MetricUnit; readonly value: number; readonly dimensions: Record<string, string> }[];
    /** What the drill started and removed again. */
    readonly started: { readonly postgresDir?: string; readonly s3Dir?: string; readonly postgresUrl?: string; readonly s3Endpoint?: string; readonly blobEndpoint?: string };
    readonly error?: string;
}

/** The summary printed at the end. */
export function renderSummary(s: DrillSummary): string {
    const lines = ["", "drill summary"];
    if (s.key !== undefined) {
        lines.push(`  backup    ${s.location ?? `s3://${s.bucket}`}/${s.key}`);
        lines.push(`  size      ${formatBytes(s.sizeBytes ?? 0)} from a ${formatBytes(s.sourceBytes ?? 0)} database; sha256 ${s.sha256 ?? ""}`);
        const dumpSeconds = Math.max(s.dumpSeconds ?? 0, 0.001);
        lines.push(`  dump      ${dumpSeconds.toFixed(1)}s: ${(s.dumpMiBps ?? 0).toFixed(1)} MiB/s of archive written, ${((s.sourceBytes ?? 0) / 1024 / 1024 / dumpSeconds).toFixed(1)} MiB/s of database read`);
        lines.push(`  rows      ${(s.rows ?? 0).toLocaleString("en-US")} in ${s.tables ?? 0} tables`);
    }
    if (s.restoreSeconds !== undefined) {
        lines.push(`  restore   ${s.restoreSeconds.toFixed(1)}s against an RTO of ${s.rtoSeconds / 60} min`);
    }
    lines.push("", renderTable(["CHECK", "RESULT", "DETAIL"], s.checks.map((c) => [c.name, c.ok ? "pass" : "FAIL", c.detail])), "");
    lines.push(s.ok ? "drill passed" : `drill FAILED (${s.checks.filter((c) => !c.ok).map((c) => c.name).join(", ")})`);
    return lines.join("\n");
}

/** With --keep: what still runs, and how to try `list` and `restore` against it. */
export function renderKept(s: DrillSummary): string {
    const { postgresUrl, s3Endpoint, blobEndpoint } = s.started;
    const lines = ["", "kept running until Ctrl-C (then stopped and removed):"];
    if (postgresUrl !== undefined) {
        lines.push(`  PostgreSQL  ${postgresUrl}  (no password: trust authentication on 127.0.0.1)`);
    }
    if (s3Endpoint !== undefined) {
        lines.push(`  S3          ${s3Endpoint}  bucket ${s.bucket}  (s3rver's fixed credentials: AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER)`);
        const env = "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER";
        const where = `--bucket ${s.bucket} --database ${s.database} --s3-endpoint ${s3Endpoint}`;
        lines.push("", "try, in another terminal:", `  ${env} npm run cli -- list ${where}`);
        if (postgresUrl !== undefined) {
            lines.push(`  ${env} npm run cli -- restore ${where} --latest --target-url ${postgresUrl.replace(/\/[^/]*$/, `/${s.database}_copy`)}`);
        }
    }
    if (blobEndpoint !== undefined) {
        lines.push(`  Blob        ${blobEndpoint}  container ${s.bucket}  (Azurite's published development account key)`);
        const env = `AZURE_BLOB_LOCAL_ACCOUNT_KEY=${AZURITE_ACCOUNT_KEY}`;
        const where = `--cloud azure --blob-endpoint ${blobEndpoint} --container ${s.bucket} --database ${s.database}`;
        lines.push("", "try, in another terminal:", `  ${env} npm run cli -- list ${where}`);
        if (postgresUrl !== undefined) {
            lines.push(`  ${env} npm run cli -- restore ${where} --latest --target-url ${postgresUrl.replace(/\/[^/]*$/, `/${s.database}_copy`)}`);
        }
    }
    return lines.join("\n");
}
