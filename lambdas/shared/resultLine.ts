/**
 * The one line every run of a handler writes to stdout, whatever its outcome:
 * `{"pgBackupStackResult":{"kind","database","outcome","key"?,"error"?}}`. On Azure, the Container
 * Apps job's console output lands in the Log Analytics table ContainerAppConsoleLogs_CL, one
 * line per row in column Log_s ("Monitor logs in Azure Container Apps with Log Analytics",
 * https://learn.microsoft.com/azure/container-apps/log-monitoring), where the log search alerts
 * look for it: a missing success line raises "missing backup", a failed one "failed job". The
 * line is one JSON document with no prefix, written straight to the stream (not through
 * console.log, which the Lambda runtime prefixes), and its error text is redacted.
 */
import { optionalString, type Env } from "./env";
import { redactedMessage } from "./redact";

/** The top-level field the alerts match. */
export const RESULT_FIELD = "pgBackupStackResult";

export type RunKind = "dump" | "export" | "verify";

export interface RunResult {
    readonly kind: RunKind;
    /** Logical database name; for verify, the names it checks, comma-separated. */
    readonly database: string;
    readonly outcome: "succeeded" | "failed";
    /** The object the run stored (the dump's key). */
    readonly key?: string;
    /** Why the run failed, redacted. */
    readonly error?: string;
}

/** The line for one result, without its newline. */
export function resultLine(result: RunResult): string {
    return JSON.stringify({ [RESULT_FIELD]: result });
}

/** The result of one run, written once: the first outcome reported wins, later ones are dropped. */
export class RunReport {
    private written = false;

    constructor(
        private readonly kind: RunKind,
        private readonly database: string,
        private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
    ) {}

    succeeded(key?: string): void {
        this.once({ kind: this.kind, database: this.database, outcome: "succeeded", ...(key === undefined ? {} : { key }) });
    }

    failed(err: unknown): void {
        this.once({ kind: this.kind, database: this.database, outcome: "failed", error: redactedMessage(err) });
    }

    private once(result: RunResult): void {
        if (!this.written) {
            this.written = true;
            this.write(resultLine(result));
        }
    }
}

/** Runs `work` and reports its outcome; `keyOf` names the object a successful run stored. */
export async function reportingResult<T>(report: RunReport, work: () => Promise<T>, keyOf: (value: T) => string | undefined = () => undefined): Promise<T> {
    try {
        const value = await work();
        report.succeeded(keyOf(value));
        return value;
    } catch (err) {
        report.failed(err);
        throw err;
    }
}

/**
 * The database a run is for, from the environment alone, for a run whose configuration could
 * not be read: DATABASE_NAME for dump and export, VERIFY_DATABASES (normalised) for verify.
 */
export function databaseFromEnv(kind: RunKind, env: Env): string {
    if (kind !== "verify") {
        return optionalString(env, "DATABASE_NAME") ?? "";
    }
    return (optionalString(env, "VERIFY_DATABASES") ?? "")
        .split(",")
        .map((d) => d.trim())
        .filter((d) => d !== "")
        .join(",");
}

/** The kind of a runnable handler string (`dump/handler.handler` -> `dump`), or undefined. */
export function runKindOf(handler: string): RunKind | undefined {
    const dir = handler.split("/")[0];
    return dir === "dump" || dir === "export" || dir === "verify" ? dir : undefined;
}
