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
