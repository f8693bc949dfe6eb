/**
 * Lambda adapter for the dump: configuration from the environment at cold start (a missing or
 * bad variable fails the cold start, naming it), clients built once, the core called per event,
 * metrics flushed and the result line written on every outcome, errors rethrown so the
 * invocation fails visibly.
 */
import type { Context } from "aws-lambda";
import { s3Client } from "../shared/awsClients";
import { functionStorage } from "../shared/storage/env";
import { errorText, functionRuntime, withCrashReport } from "../shared/coldStart";
import { resolveTarget } from "../shared/credentials";
import { manifestKey } from "../shared/keys";
import type { TierName } from "../shared/tiers";
import type { MetricSink } from "../shared/ports";
import { reportingResult, RunReport } from "../shared/resultLine";
import { loadDumpConfig, parseDumpEvent } from "./config";
import { runDump } from "./dump";

const config = loadDumpConfig(process.env);
const runtime = functionRuntime(config);
const { logger, metrics, log, credentials } = runtime;
const storage = functionStorage(config.storage, () => s3Client(config.s3), config.settings.kmsKeyId);

export interface DumpResult {
    readonly key: string;
    readonly manifestKey: string;
    readonly tier: TierName;
    readonly trigger: "schedule" | "on-demand";
    readonly sizeBytes: number;
    readonly sha256: string;
    readonly durationMs: number;
}

export function handler(event: unknown, context: Context): Promise<DumpResult> {
    const result = new RunReport("dump", config.settings.database);
    return reportingResult(
        result,
        () =>
            withCrashReport(
                runtime,
                {
                    countFailure: (sink) => sink.add("BackupFailed", "Count", 1, { Database: config.settings.database }),
                    message: "dump crashed",
                    fields: { database: config.settings.database },
                    result,
                },
                (signal, metricSink) => invoke(event, context, signal, metricSink),
            ),
        (dump) => dump.key,
    );
}

async function invoke(event: unknown, context: Context, signal: AbortSignal, metricSink: MetricSink): Promise<DumpResult> {
    logger.addContext(context);
    let coreRan = false;
    try {
        const { trigger, reason } = parseDumpEvent(event);
        log.info("dump requested", { trigger, ...(reason === undefined ? {} : { reason }) });
        coreRan = true;
        const manifest = await runDump(
            { ...config.settings, trigger },
            {
                storage,
                target: () => resolveTarget(config.source, credentials, config.overrides),
                log,
                metrics: metricSink,
                remainingMs: () => context.getRemainingTimeInMillis(),
                signal,
            },
        );
        return {
            key: manifest.key,
            manifestKey: manifestKey(manifest.key),
            tier: manifest.tier,
            trigger: manifest.trigger,
            sizeBytes: manifest.sizeBytes,
            sha256: manifest.sha256,
            durationMs: manifest.durationMs,
        };
    } catch (err) {
        if (!coreRan) {
            metricSink.add("BackupFailed", "Count", 1, { Database: config.settings.database });
            log.error("dump request refused", { error: errorText(err) });
        }
        throw err;
    } finally {
        metrics.publishStoredMetrics();
    }
}
