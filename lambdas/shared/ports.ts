/**
 * The narrow interfaces the function cores take, so that the same code runs in Lambda
 * (Powertools Logger and Metrics), in the local drill (console) and in tests (recorders).
 */
export interface Log {
    debug(message: string, extra?: Record<string, unknown>): void;
    info(message: string, extra?: Record<string, unknown>): void;
    warn(message: string, extra?: Record<string, unknown>): void;
    error(message: string, extra?: Record<string, unknown>): void;
}

export type MetricUnit = "Count" | "Bytes" | "Seconds" | "Milliseconds" | "Percent" | "None";

export interface MetricSink {
    add(name: string, unit: MetricUnit, value: number, dimensions?: Record<string, string>): void;
}
