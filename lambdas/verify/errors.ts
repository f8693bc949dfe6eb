/** Errors of the verify function. */
import type { VerifyReport } from "./types";

/** The verify configuration is invalid; nothing was checked. */
export class VerifyConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "VerifyConfigError";
    }
}

/** A verification ran and a check failed: the invocation fails so that it counts (function-error alarm, retry policy, DLQ). */
export class VerificationFailedError extends Error {
    constructor(readonly report: VerifyReport) {
        const failed = report.targets.filter((t) => !t.ok).map((t) => `${t.name}: ${t.checks.filter((c) => !c.ok && !c.skipped).map((c) => c.name).join(", ")}`);
        super(`verification failed for ${failed.join("; ")}`);
        this.name = "VerificationFailedError";
    }
}
