/**
 * Lambda adapter of the verify function: configuration from the environment (read once, at cold
 * start, failing fast with the variable's name), clients, Powertools Logger and Metrics (EMF,
 * flushed on failure too), the core, and a thrown error when any check failed so that the
 * invocation counts as failed (function-error alarm, retry policy, DLQ).
 */
import { S3Client } from "@aws-sdk/client-s3";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { secretsManagerReader } from "../shared/awsClients";
import { resolveTarget, type CredentialSource, type SecretReader } from "../shared/credentials";
import { EnvError, exactlyOne, integer, oneOf, optionalString, requireString, type Env } from "../shared/env";
import type { SslMode } from "../shared/pgTarget";
import type { MetricSink } from "../shared/ports";
import { powertoolsLog, powertoolsMetrics, reportingCrashes } from "../shared/powertools";
import type { AzureServerTarget, FlexibleServerBackupLister } from "./azure";
import { DEFAULT_SIZE_BOUNDS, runVerify, type VerifyConfig, type VerifyReport } from "./verify";

/** Everything the handler reads from the environment. */
export interface VerifyEnv {
    readonly bucket: string;
    readonly prefix: string;
    readonly databases: readonly string[];
    readonly maxBackupAgeSeconds: number;
    readonly rtoSeconds: number;
    readonly size: VerifyConfig["size"];
    readonly jobs: number;
    readonly server: CredentialSource;
    readonly serverOverrides: { readonly host?: string; readonly port?: number; readonly database: string; readonly sslmode?: SslMode };
    readonly azure?: { readonly subscriptionId: string; readonly servers: readonly AzureServerTarget[] };
    readonly metricsNamespace: string;
    readonly serviceName: string;
    readonly tempDir?: string;
    /** S3-compatible endpoint (path-style); unset on AWS. */
    readonly s3Endpoint?: string;
    /** Left before the Lambda deadline when pg_restore is stopped, so the scratch database can still be dropped. */
    readonly safetyMarginMs: number;
}

const SSL_MODES: readonly SslMode[] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];
const LOGICAL_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/**
 * Reads and checks the verify function's variables:
 * BACKUP_BUCKET, BACKUP_PREFIX, VERIFY_DATABASES, VERIFY_MAX_BACKUP_AGE_MINUTES, RTO_MINUTES, SIZE_WINDOW,
 * SIZE_MIN_PERCENT, SIZE_MAX_PERCENT, RESTORE_JOBS, VERIFY_DB_SECRET_ARN | VERIFY_DB_URL,
 * VERIFY_DB_HOST, VERIFY_DB_PORT, VERIFY_DB_MAINTENANCE_DATABASE, VERIFY_DB_SSLMODE,
 * AZURE_SUBSCRIPTION_ID, AZURE_SERVERS, METRICS_NAMESPACE, POWERTOOLS_SERVICE_NAME,
 * SCRATCH_DIR, S3_ENDPOINT, SAFETY_MARGIN_SECONDS.
 */
export function loadVerifyEnv(env: Env): VerifyEnv {
    const databases = (optionalString(env, "VERIFY_DATABASES") ?? "")
        .split(",")
        .map((d) => d.trim())
        .filter((d) => d !== "");
    for (const d of databases) {
        if (!LOGICAL_NAME.test(d)) {
            throw new EnvError(`VERIFY_DATABASES: "${d}" is not allowed; expected comma-separated names of 1..63 letters, digits, "_" or "-"`);
        }
    }
    const source = exactlyOne(env, "VERIFY_DB_SECRET_ARN", "VERIFY_DB_URL");
    const server: CredentialSource = source.name === "VERIFY_DB_SECRET_ARN" ? { kind: "secret", secretId: source.value } : { kind: "url", url: source.value, name: "VERIFY_DB_URL" };
    const host = optionalString(env, "VERIFY_DB_HOST");
    const portText = optionalString(env, "VERIFY_DB_PORT");
    const port = portText === undefined ? undefined : integer(env, "VERIFY_DB_PORT", { min: 1, max: 65535 });
    const sslText = optionalString(env, "VERIFY_DB_SSLMODE");
    const sslmode = sslText === undefined ? (server.kind === "secret" ? "require" : undefined) : oneOf(env, "VERIFY_DB_SSLMODE", SSL_MODES);
    const minPercent = integer(env, "SIZE_MIN_PERCENT", { min: 1, max: 100, default: Math.round(DEFAULT_SIZE_BOUNDS.minRatio * 100) });
    const maxPercent = integer(env, "SIZE_MAX_PERCENT", { min: 100, max: 100_000, default: Math.round(DEFAULT_SIZE_BOUNDS.maxRatio * 100) });
    const azure = loadAzure(env);
    if (databases.length === 0 && azure === undefined) {
        throw new EnvError("VERIFY_DATABASES is not set and neither is AZURE_SERVERS; set at least one (comma-separated logical database names)");
    }
    const tempDir = optionalString(env, "SCRATCH_DIR");
    const s3Endpoint = optionalString(env, "S3_ENDPOINT");
    return {
        bucket: requireString(env, "BACKUP_BUCKET"),
        prefix: optionalString(env, "BACKUP_PREFIX") ?? "backups",
        databases,
        maxBackupAgeSeconds: integer(env, "VERIFY_MAX_BACKUP_AGE_MINUTES", { min: 1, max: 44640 }) * 60,
        rtoSeconds: integer(env, "RTO_MINUTES", { min: 1, max: 44640 }) * 60,
        size: { window: integer(env, "SIZE_WINDOW", { min: 1, max: 50, default: DEFAULT_SIZE_BOUNDS.window }), minRatio: minPercent / 100, maxRatio: maxPercent / 100 },
        jobs: integer(env, "RESTORE_JOBS", { min: 1, max: 16, default: 2 }),
        server,
        serverOverrides: {
            database: optionalString(env, "VERIFY_DB_MAINTENANCE_DATABASE") ?? "postgres",
            ...(host === undefined ? {} : { host }),
            ...(port === undefined ? {} : { port }),
            ...(sslmode === undefined ? {} : { sslmode }),
        },
        ...(azure === undefined ? {} : { azure }),
        metricsNamespace: optionalString(env, "METRICS_NAMESPACE") ?? "PgBackupStack",
        serviceName: optionalString(env, "POWERTOOLS_SERVICE_NAME") ?? "pg-backup-verify",
        ...(tempDir === undefined ? {} : { tempDir }),
        ...(s3Endpoint === undefined ? {} : { s3Endpoint }),
        safetyMarginMs: integer(env, "SAFETY_MARGIN_SECONDS", { min: 0, max: 600, default: 60 }) * 1000,
    };
}

/** AZURE_SERVERS: JSON array of {"name", "resourceGroup", "serverName", "maxSnapshotAgeHours"?}; needs AZURE_SUBSCRIPTION_ID. */
function loadAzure(env: Env): VerifyEnv["azure"] {
    const text = optionalString(env, "AZURE_SERVERS");
    if (text === undefined) {
        return undefined;
    }
    const subscriptionId = requireString(env, "AZURE_SUBSCRIPTION_ID");
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch {
        throw new EnvError(`AZURE_SERVERS: not JSON; expected [{"name": ..., "resourceGroup": ..., "serverName": ..., "maxSnapshotAgeHours"?: ...}]`);
    }
    if (!Array.isArray(parsed) || parsed.length === 0) {
        throw new EnvError("AZURE_SERVERS: expected a non-empty JSON array of servers");
    }
    const servers = parsed.map((item: unknown, i): AzureServerTarget => {
        const o = typeof item === "object" && item !== null ? (item as Record<string, unknown>) : {};
        const text = (field: string): string => {
            const v = o[field];
            if (typeof v !== "string" || v.trim() === "") {
                throw new EnvError(`AZURE_SERVERS[${i}].${field}: ${JSON.stringify(v)} is not allowed; expected a non-empty string`);
            }
            return v;
        };
        const hours = o.maxSnapshotAgeHours;
        if (hours !== undefined && (typeof hours !== "number" || !Number.isInteger(hours) || hours < 24 || hours > 744)) {
            throw new EnvError(`AZURE_SERVERS[${i}].maxSnapshotAgeHours: ${JSON.stringify(hours)} is out of range; expected an integer 24..744 (Azure takes one snapshot a day)`);
        }
        return { name: text("name"), resourceGroup: text("resourceGroup"), serverName: text("serverName"), ...(hours === undefined ? {} : { maxSnapshotAgeSeconds: hours * 3600 }) };
    });
    return { subscriptionId, servers };
}

export class VerificationFailedError extends Error {
    constructor(readonly report: VerifyReport) {
        const failed = report.targets.filter((t) => !t.ok).map((t) => `${t.name}: ${t.checks.filter((c) => !c.ok && !c.skipped).map((c) => c.name).join(", ")}`);
        super(`verification failed for ${failed.join("; ")}`);
        this.name = "VerificationFailedError";
    }
}

interface ColdStart {
    readonly env: VerifyEnv;
    readonly logger: Logger;
    readonly metrics: Metrics;
    readonly s3: S3Client;
    readonly secrets: SecretReader;
    readonly azure?: FlexibleServerBackupLister;
}

let coldStart: Promise<ColdStart> | undefined;

async function setUp(env: VerifyEnv): Promise<ColdStart> {
    const logger = new Logger({ serviceName: env.serviceName });
    const metrics = new Metrics({ namespace: env.metricsNamespace, serviceName: env.serviceName });
    // Alarms select metrics by Database alone; no implicit "service" dimension.
    metrics.clearDefaultDimensions();
    const secrets = secretsManagerReader();
    let azure: FlexibleServerBackupLister | undefined;
    if (env.azure !== undefined) {
        const [{ PostgreSQLManagementFlexibleServerClient }, { DefaultAzureCredential }] = await Promise.all([import("@azure/arm-postgresql-flexible"), import("@azure/identity")]);
        azure = new PostgreSQLManagementFlexibleServerClient(new DefaultAzureCredential(), env.azure.subscriptionId);
    }
    const s3 = new S3Client(env.s3Endpoint === undefined ? {} : { endpoint: env.s3Endpoint, forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" });
    return { env, logger, metrics, s3, secrets, ...(azure === undefined ? {} : { azure }) };
}

/** Lambda entry point: resolves with the report when every check passed, throws otherwise. */
export async function handler(_event: unknown, context: Context): Promise<VerifyReport> {
    coldStart ??= setUp(loadVerifyEnv(process.env));
    const cold = await coldStart;
    const sink = powertoolsMetrics(cold.metrics);
    return reportingCrashes(
        sink,
        (err) => {
            failedEverywhere(cold.env, sink);
            cold.logger.error("verification crashed", { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
            cold.metrics.publishStoredMetrics();
        },
        (signal, metricSink) => verifyOnce(cold, context, signal, metricSink),
    );
}

function failedEverywhere(env: VerifyEnv, sink: MetricSink): void {
    for (const name of [...env.databases, ...(env.azure?.servers ?? []).map((s) => s.name)]) {
        sink.add("VerificationFailed", "Count", 1, { Database: name });
    }
}

async function verifyOnce({ env, logger, metrics, s3, secrets, azure }: ColdStart, context: Context, signal: AbortSignal, sink: MetricSink): Promise<VerifyReport> {
    try {
        const verificationServer = await resolveTarget(env.server, secrets, env.serverOverrides);
        const config: VerifyConfig = {
            bucket: env.bucket,
            prefix: env.prefix,
            databases: env.databases,
            maxBackupAgeSeconds: env.maxBackupAgeSeconds,
            rtoSeconds: env.rtoSeconds,
            size: env.size,
            verificationServer,
            jobs: env.jobs,
            safetyMarginMs: env.safetyMarginMs,
            ...(env.tempDir === undefined ? {} : { tempDir: env.tempDir }),
            ...(env.azure === undefined ? {} : { azureServers: env.azure.servers }),
        };
        const report = await runVerify(config, {
            s3,
            log: powertoolsLog(logger),
            metrics: sink,
            remainingMs: () => context.getRemainingTimeInMillis(),
            signal,
            ...(azure === undefined ? {} : { azure }),
        });
        if (!report.ok) {
            throw new VerificationFailedError(report);
        }
        return report;
    } catch (err) {
        if (!(err instanceof VerificationFailedError)) {
            failedEverywhere(env, sink);
            powertoolsLog(logger).error("verification could not run", { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
        }
        throw err;
    } finally {
        metrics.publishStoredMetrics();
    }
}
