/**
 * What every function handler builds once per cold start from its configuration: the
 * Powertools Logger and Metrics, the ports the cores take, and the credential readers (Secrets
 * Manager, Key Vault, Entra); and
 * the invocation wrapper that reports a crash as a failure and flushes the metrics.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { secretsManagerReader } from "./awsClients";
import { azureCredentialReaders } from "./azureIdentity";
import type { CredentialReaders } from "./credentials";
import type { Env } from "./env";
import type { Log, MetricSink } from "./ports";
import { powertoolsLog, powertoolsMetrics, reportingCrashes } from "./powertools";
import type { RunReport } from "./resultLine";

/** The part of a function's configuration the cold start needs. */
export interface ServiceSettings {
    readonly serviceName: string;
    readonly metricsNamespace: string;
}

export interface FunctionRuntime {
    readonly logger: Logger;
    readonly metrics: Metrics;
    /** The logger as the cores' port, with passwords redacted. */
    readonly log: Log;
    /** The metrics as the cores' port; `metrics.publishStoredMetrics()` flushes them. */
    readonly sink: MetricSink;
    readonly credentials: CredentialReaders;
}

/** Builds the logger, metrics and credential readers of a function once, at its cold start. */
export function functionRuntime(settings: ServiceSettings, env: Env = process.env): FunctionRuntime {
    const logger = new Logger({ serviceName: settings.serviceName });
    const metrics = new Metrics({ namespace: settings.metricsNamespace, serviceName: settings.serviceName });
    // Alarms select metrics by Database alone; no implicit "service" dimension.
    metrics.clearDefaultDimensions();
    return { logger, metrics, log: powertoolsLog(logger), sink: powertoolsMetrics(metrics), credentials: { secrets: secretsManagerReader(), ...azureCredentialReaders(env) } };
}

/** An error as one log field: its class and message. */
export function errorText(err: unknown): string {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** How a crash during an invocation is reported: the failure metrics it counts, the line it logs and the run's result. */
export interface CrashReport {
    /** @default none - the crash counts no metric */
    readonly countFailure?: (sink: MetricSink) => void;
    readonly message: string;
    readonly fields?: Record<string, unknown>;
    readonly result: RunReport;
}

/**
 * Runs one invocation under `reportingCrashes`: a crash writes the failed result line, counts
 * the failure, logs the message with the error and flushes the metrics before the Lambda runtime
 * ends the process.
 */
export function withCrashReport<T>(runtime: FunctionRuntime, crash: CrashReport, work: (signal: AbortSignal, sink: MetricSink) => Promise<T>): Promise<T> {
    return reportingCrashes(
        runtime.sink,
        (err) => {
            crash.result.failed(err);
            crash.countFailure?.(runtime.sink);
            runtime.log.error(crash.message, { ...crash.fields, error: errorText(err) });
            runtime.metrics.publishStoredMetrics();
        },
        work,
    );
}
