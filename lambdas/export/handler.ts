/**
 * Lambda adapter for the table exports: configuration from the environment at cold start,
 * clients built once, the core called per event, metrics flushed on every outcome, errors
 * rethrown so the invocation fails visibly.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { s3Client, secretsManagerReader } from "../shared/awsClients";
import { resolveTarget } from "../shared/credentials";
import { powertoolsLog, powertoolsMetrics } from "../shared/powertools";
import { loadExportConfig } from "./config";
import { runExport, type ExportResult } from "./export";

const config = loadExportConfig(process.env);
const logger = new Logger({ serviceName: config.serviceName });
const metrics = new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName });
// Alarms select metrics by Database alone; no implicit "service" dimension.
metrics.clearDefaultDimensions();
const log = powertoolsLog(logger);
const sink = powertoolsMetrics(metrics);
const s3 = s3Client(config.s3);
const secrets = secretsManagerReader();

export async function handler(_event: unknown, context: Context): Promise<ExportResult> {
    logger.addContext(context);
    try {
        return await runExport(config.settings, {
            s3,
            target: () => resolveTarget(config.connection.source, secrets, config.connection.overrides),
            log,
            metrics: sink,
            remainingMs: () => context.getRemainingTimeInMillis(),
        });
    } finally {
        metrics.publishStoredMetrics();
    }
}
