/**
 * Adapters from Powertools for AWS Lambda (Logger, Metrics with EMF) to the ports the function
 * cores take, so the cores stay free of Lambda specifics.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { Log, MetricSink, MetricUnit } from "./ports";

export function powertoolsLog(logger: Logger): Log {
    return {
        debug: (message, extra) => logger.debug(message, extra ?? {}),
        info: (message, extra) => logger.info(message, extra ?? {}),
        warn: (message, extra) => logger.warn(message, extra ?? {}),
        error: (message, extra) => logger.error(message, extra ?? {}),
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
