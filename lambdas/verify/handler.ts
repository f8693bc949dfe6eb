/**
 * Lambda adapter of the verify function: configuration from the environment at cold start (a
 * missing or bad variable fails the cold start, naming it, as the dump and export handlers do),
 * clients, Powertools Logger and Metrics (EMF, flushed on failure too), the core, the result line
 * on every outcome, and a thrown error when any check failed so that the invocation counts as
 * failed (function-error alarm, retry policy, DLQ).
 */
import { S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import { azureCredential } from "../shared/azureIdentity";
import { errorText, functionRuntime, withCrashReport } from "../shared/coldStart";
import { resolveTarget } from "../shared/credentials";
import { functionStorage } from "../shared/storage/env";
import type { MetricSink } from "../shared/ports";
import { reportingResult, RunReport } from "../shared/resultLine";
import { flexibleServerClient, type FlexibleServerBackupLister } from "./azure";
import { verifyConfigFromEnv } from "./config";
import { VerificationFailedError } from "./errors";
import type { VerifyConfig } from "./types";
import { runVerify, type VerifyReport } from "./verify";

const env = verifyConfigFromEnv(process.env);
const runtime = functionRuntime(env);
const storage = functionStorage(
    env.storage,
    () => new S3Client(env.s3Endpoint === undefined ? {} : { endpoint: env.s3Endpoint, forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" }),
    undefined,
);
/** Every name a run checks: the databases, then the Azure servers. */
const checked: readonly string[] = [...env.databases, ...(env.azure?.servers ?? []).map((s) => s.name)];

/** The Azure client, built by the first invocation that needs it (its SDK is loaded only for Azure servers); a failed build is retried by the next. */
let azureClient: Promise<FlexibleServerBackupLister> | undefined;

function azureLister(subscriptionId: string): Promise<FlexibleServerBackupLister> {
    azureClient ??= azureCredential(process.env)
        .then((credential) => flexibleServerClient(subscriptionId, credential))
        .catch((err: unknown) => {
            azureClient = undefined;
            throw err;
        });
    return azureClient;
}

/** Lambda entry point: resolves with the report when every check passed, throws otherwise. */
export function handler(_event: unknown, context: Context): Promise<VerifyReport> {
    const result = new RunReport("verify", checked.join(","));
    return reportingResult(result, () =>
        withCrashReport(
            runtime,
            { countFailure: failedEverywhere, message: "verification crashed", result },
            (signal, metricSink) => verifyOnce(context, signal, metricSink),
        ),
    );
}

function failedEverywhere(sink: MetricSink): void {
    for (const name of checked) {
        sink.add("VerificationFailed", "Count", 1, { Database: name });
    }
}

async function verifyOnce(context: Context, signal: AbortSignal, sink: MetricSink): Promise<VerifyReport> {
    const { log, metrics, credentials } = runtime;
    try {
        const azure = env.azure === undefined ? undefined : await azureLister(env.azure.subscriptionId);
        const verificationServer = await resolveTarget(env.server, credentials, env.serverOverrides);
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
            failedEverywhere(sink);
            log.error("verification could not run", { error: errorText(err) });
        }
        throw err;
    } finally {
        metrics.publishStoredMetrics();
    }
}
