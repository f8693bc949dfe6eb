/**
 * Lambda adapter for the table exports: configuration from the environment at cold start,
 * clients built once, the core called per event, metrics flushed and the result line written on
 * every outcome (a crash too), errors rethrown so the invocation fails visibly.
 */
import type { Context } from "aws-lambda";
import { s3Client } from "../shared/awsClients";
import { functionStorage } from "../shared/storage/env";
import { functionRuntime, withCrashReport } from "../shared/coldStart";
import { resolveTarget } from "../shared/credentials";
import type { MetricSink } from "../shared/ports";
import { reportingResult, RunReport } from "../shared/resultLine";
import { loadExportConfig } from "./config";
import { runExport, type ExportResult } from "./export";

const config = loadExportConfig(process.env);
const runtime = functionRuntime(config);
const { logger, metrics, log, credentials } = runtime;
const storage = functionStorage(config.storage, () => s3Client(config.s3), config.settings.kmsKeyId);

export function handler(_event: unknown, context: Context): Promise<ExportResult> {
    const result = new RunReport("export", config.settings.database);
    return reportingResult(result, () =>
        withCrashReport(runtime, { message: "export crashed", fields: { database: config.settings.database }, result }, (_signal, metricSink) => invoke(context, metricSink)),
    );
}

async function invoke(context: Context, metricSink: MetricSink): Promise<ExportResult> {
    logger.addContext(context);
    try {
        return await runExport(config.settings, {
            storage,
            target: () => resolveTarget(config.connection.source, credentials, config.connection.overrides),
            log,
            metrics: metricSink,
            remainingMs: () => context.getRemainingTimeInMillis(),
        });
    } finally {
        metrics.publishStoredMetrics();
    }
}
