import type { Log } from "../lambdas/shared/ports";
import { redactFields, redactText } from "../lambdas/shared/redact";

/** Human output shared by the CLI commands. */

/** A Log for the terminal: one line per message, extras as key=value, to stderr so stdout stays for results; passwords in URLs redacted. */
export function terminalLog(write: (line: string) => void = (line) => process.stderr.write(`${line}\n`), verbose = false): Log {
    const line = (level: string, message: string, extra?: Record<string, unknown>): void => {
        const fields = Object.entries(redactFields(extra ?? {}))
            .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
            .join(" ");
        write(`${new Date().toISOString().slice(11, 19)} ${level.padEnd(5)} ${redactText(message)}${fields === "" ? "" : `  ${fields}`}`);
    };
    return {
        debug: (m, e) => {
            if (verbose) {
                line("debug", m, e);
            }
        },
        info: (m, e) => line("info", m, e),
        warn: (m, e) => line("warn", m, e),
        error: (m, e) => line("error", m, e),
    };
}

/** A warning line on stderr. */
export function warnLine(line: string): void {
    process.stderr.write(`warning: ${line}\n`);
}

/** 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number): string {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Left-aligned columns; numbers right-aligned. */
export function renderTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
    const cells = [header, ...rows.map((r) => r.map(String))];
    const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
    const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number"));
    return cells
        .map((r) => r.map((c, i) => (numeric[i] === true ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join("  ").trimEnd())
        .join("\n");
}
