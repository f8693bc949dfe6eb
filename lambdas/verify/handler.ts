/**
 * Lambda adapter of the verify function: configuration from the environment (read once, at cold
 * start, failing fast with the variable's name), clients, Powertools Logger and Metrics (EMF,
 * flushed on failure too), the core, and a thrown error when any check failed so that the
 * invocation counts as failed (function-error alarm, retry policy, DLQ).
 */
import { S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import { errorText, functionRuntime, withCrashReport, type FunctionRuntime } from "../shared/coldStart";
import { resolveTarget } from "../shared/credentials";
import { functionStorage } from "../shared/storage/env";
import type { BackupStorage } from "../shared/storage/port";
import type { MetricSink } from "../shared/ports";
import type { FlexibleServerBackupLister } from "./azure";
import { verifyConfigFromEnv, type VerifyFunctionConfig } from "./config";
import { runVerify, type VerifyConfig, type VerifyReport } from "./verify";

export class VerificationFailedError extends Error {
    constructor(readonly report: VerifyReport) {
        const failed = report.targets.filter((t) => !t.ok).map((t) => `${t.name}: ${t.checks.filter((c) => !c.ok && !c.skipped).map((c) => c.name).join(", ")}`);
        super(`verification failed for ${failed.join("; ")}`);
        this.name = "VerificationFailedError";
    }
}

interface ColdStart {
    readonly env: VerifyFunctionConfig;
    readonly runtime: FunctionRuntime;
    readonly storage: BackupStorage;
    readonly azure?: FlexibleServerBackupLister;
}

/** Configuration and clients, built by the first invocation of a container and kept for the next ones. */
let coldStart: Promise<ColdStart> | undefined;

async function setUp(env: VerifyFunctionConfig): Promise<ColdStart> {
    const runtime = functionRuntime(env);
    let azure: FlexibleServerBackupLister | undefined;
    if (env.azure !== undefined) {
        const [{ PostgreSQLManagementFlexibleServerClient }, { DefaultAzureCredential }] = await Promise.all([import("@azure/arm-postgresql-flexible"), import("@azure/identity")]);
        azure = new PostgreSQLManagementFlexibleServerClient(new DefaultAzureCredential(), env.azure.subscriptionId);
    }
    const storage = functionStorage(
        env.storage,
        () => new S3Client(env.s3Endpoint === undefined ? {} : { endpoint: env.s3Endpoint, forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" }),
        undefined,
    );
    return { env, runtime, storage, ...(azure === undefined ? {} : { azure }) };
}

/** Lambda entry point: resolves with the report when every check passed, throws otherwise. */
export async function handler(_event: unknown, context: Context): Promise<VerifyReport> {
    coldStart ??= setUp(verifyConfigFromEnv(process.env));
    const cold = await coldStart;
    return withCrashReport(
        cold.runtime,
        { countFailure: (sink) => failedEverywhere(cold.env, sink), message: "verification crashed" },
        (signal, metricSink) => verifyOnce(cold, context, signal, metricSink),
    );
}

function failedEverywhere(env: VerifyFunctionConfig, sink: MetricSink): void {
    for (const name of [...env.databases, ...(env.azure?.servers ?? []).map((s) => s.name)]) {
        sink.add("VerificationFailed", "Count", 1, { Database: name });
    }
}

async function verifyOnce({ env, runtime: { log, metrics, secrets }, storage, azure }: ColdStart, context: Context, signal: AbortSignal, sink: MetricSink): Promise<VerifyReport> {
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
            storage,
            log,
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
            log.error("verification could not run", { error: errorText(err) });
        }
        throw err;
    } finally {
        metrics.publishStoredMetrics();
    }
}
