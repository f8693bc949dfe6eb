import type { ParsedConfig } from "./schema";

/** One problem found in a stack configuration. */
export interface Finding {
    /** Dotted key path below the config namespace, e.g. `retention.weekly.glacierAfterDays`. */
    readonly path: string;
    /** The offending value as written (undefined when the key is missing). */
    readonly value: unknown;
    /** What is wrong and what is allowed. */
    readonly message: string;
    /** Errors stop `pulumi up` and `validate`; warnings are printed. */
    readonly severity: "error" | "warning";
}

/** A validation rule: a pure function of the parsed (defaults filled) configuration. */
export type Rule = (config: ParsedConfig) => readonly Finding[];

export function error(path: string, value: unknown, message: string): Finding {
    return { path, value, message, severity: "error" };
}

export function warning(path: string, value: unknown, message: string): Finding {
    return { path, value, message, severity: "warning" };
}

/** `retention.weekly.keepDays: 10 is ...`: the one line format every finding is printed in. */
export function formatFinding(f: Finding): string {
    const shown = f.value === undefined ? "(missing)" : showValue(f.value);
    return `${f.severity === "warning" ? "warning: " : ""}${f.path}: ${shown} ${f.message}`;
}

function showValue(v: unknown): string {
    if (typeof v === "string") return JSON.stringify(v);
    if (v !== null && typeof v === "object" && "secure" in v) return "(secret)";
    const json = JSON.stringify(v);
    return json === undefined ? String(v) : json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/** Thrown when a configuration has errors; carries every finding, not just the first. */
export class ConfigValidationError extends Error {
    constructor(readonly source: string, readonly findings: readonly Finding[]) {
        super(
            `${source}: ${findings.filter((f) => f.severity === "error").length} configuration error(s):\n` +
                findings.filter((f) => f.severity === "error").map((f) => `  - ${formatFinding(f)}`).join("\n"),
        );
        this.name = "ConfigValidationError";
    }
}
