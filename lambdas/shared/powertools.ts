/**
 * Adapters from Powertools for AWS Lambda (Logger, Metrics with EMF) to the ports the function
 * cores take, so the cores stay free of Lambda specifics.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { Log, MetricSink, MetricUnit } from "./ports";
import { redactFields, redactText } from "./redact";

/** Every line with passwords in URLs redacted, whichever core or handler writes it. */
export function powertoolsLog(logger: Logger): Log {
    return {
        debug: (message, extra) => logger.debug(redactText(message), redactFields(extra ?? {})),
        info: (message, extra) => logger.info(redactText(message), redactFields(extra ?? {})),
        warn: (message, extra) => logger.warn(redactText(message), redactFields(extra ?? {})),
        error: (message, extra) => logger.error(redactText(message), redactFields(extra ?? {})),
    };
}

/**
 * EMF holds one dimension set per document, so metrics are grouped by their dimensions: a metric
 * with other dimensions than the ones buffered flushes the buffer first. The caller still calls
 * `metrics.publishStoredMetrics()` at the end of every invocation, on failure too.
 */
export function powertoolsMetrics(metrics: Metrics): MetricSink {
    let current = "";
    return {
        add(name: string, unit: MetricUnit, value: number, dimensions: Record<string, string> = {}): void {
            const signature = JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)));
            if (signature !== current && metrics.hasStoredMetrics()) {
                metrics.publishStoredMetrics();
            }
            if (signature !== current || !metrics.hasStoredMetrics()) {
                metrics.addDimensions(dimensions);
                current = signature;
            }
            metrics.addMetric(name, unit, value);
        },
    };
}

/**
 * Runs one invocation so that a crash during it (an exception or a rejection that nothing caught,
 * after which the Lambda runtime ends the process) is still reported: `onCrash` runs once,
 * synchronously, before the runtime's own handler, and should count the failure, log it and
 * flush the metrics; the signal given to `work` is aborted so that it stops its child processes.
 * Metrics that `work` adds after a crash are dropped, since the crash report already counted the
 * failure. When nothing else listens for unhandled rejections, Node's default (a crash) is kept.
 */
export async function reportingCrashes<T>(
    sink: MetricSink,
    onCrash: (err: unknown) => void,
    work: (signal: AbortSignal, sink: MetricSink) => Promise<T>,
): Promise<T> {
    const stop = new AbortController();
    let crashed = false;
    const report = (err: unknown): void => {
        if (crashed) {
            return;
        }
        crashed = true;
        stop.abort(err);
        onCrash(err);
    };
    const onRejection = (reason: unknown): void => {
        report(reason);
        if (process.listenerCount("unhandledRejection") === 1) {
            throw reason;
        }
    };
    process.on("uncaughtExceptionMonitor", report);
    process.prependListener("unhandledRejection", onRejection);
    try {
        return await work(stop.signal, { add: (...args) => (crashed ? undefined : sink.add(...args)) });
    } finally {
        process.off("uncaughtExceptionMonitor", report);
        process.off("unhandledRejection", onRejection);
    }
}
