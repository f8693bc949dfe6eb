/**
 * Lambda adapter for the table exports: configuration from the environment at cold start,
 * clients built once, the core called per event, metrics flushed on every outcome, errors
 * rethrown so the invocation fails visibly.
 */
import type { Context } from "aws-lambda";
import { s3Client } from "../shared/awsClients";
import { functionStorage } from "../shared/storage/env";
import { functionRuntime } from "../shared/coldStart";
import { resolveTarget } from "../shared/credentials";
import { loadExportConfig } from "./config";
import { runExport, type ExportResult } from "./export";

const config = loadExportConfig(process.env);
const { logger, metrics, log, sink, secrets } = functionRuntime(config);
const storage = functionStorage(config.storage, () => s3Client(config.s3), config.settings.kmsKeyId);

export async function handler(_event: unknown, context: Context): Promise<ExportResult> {
    logger.addContext(context);
    try {
        return await runExport(config.settings, {
            storage,
            target: () => resolveTarget(config.connection.source, secrets, config.connection.overrides),
            log,
            metrics: sink,
            remainingMs: () => context.getRemainingTimeInMillis(),
        });
    } finally {
        metrics.publishStoredMetrics();
    }
}
