/**
 * Command-line options for the CLI commands: `--name value`, `--name=value` and boolean
 * `--flag`. Every error names the argument, the value given and what is allowed.
 */
import { withPasswordFromEnv } from "../lambdas/shared/pgPassword";
import { parsePostgresUrl, PgTargetError, type PgTarget } from "../lambdas/shared/pgTarget";
import { redactUrl } from "../lambdas/shared/redact";

export class ArgumentError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ArgumentError";
    }
}

export interface OptionSpec {
    readonly type: "string" | "boolean";
    /** Shown in the usage text, e.g. "URL". */
    readonly value?: string;
    readonly description: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export type ParsedOptions<S extends OptionSpecs> = {
    readonly [K in keyof S]?: S[K]["type"] extends "boolean" ? boolean : string;
};

/** Parses `args` against `specs`; `--help`/`-h` returns undefined (the caller prints usage). */
export function parseOptions<S extends OptionSpecs>(args: readonly string[], specs: S): ParsedOptions<S> | undefined {
    const out: Record<string, string | boolean> = {};
    const allowed = (): string => Object.keys(specs).map((k) => `--${k}`).join(", ");
    for (let i = 0; i < args.length; i++) {
        const arg = args[i] as string;
        if (arg === "--help" || arg === "-h") {
            return undefined;
        }
        if (!arg.startsWith("--") || arg === "--") {
            throw new ArgumentError(`${JSON.stringify(arg)}: unexpected argument; options are ${allowed()}`);
        }
        const eq = arg.indexOf("=");
        const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
        const spec = specs[name];
        if (spec === undefined) {
            throw new ArgumentError(`--${name}: unknown option; allowed: ${allowed()}`);
        }
        if (name in out) {
            throw new ArgumentError(`--${name}: given more than once`);
        }
        if (spec.type === "boolean") {
            if (eq !== -1) {
                throw new ArgumentError(`--${name}: "${arg.slice(eq + 1)}" is not allowed; --${name} is a flag and takes no value`);
            }
            out[name] = true;
            continue;
        }
        let value: string | undefined;
        if (eq !== -1) {
            value = arg.slice(eq + 1);
        } else {
            value = args[i + 1];
            i++;
        }
        if (value === undefined || (eq === -1 && value.startsWith("--"))) {
            throw new ArgumentError(`--${name}: missing value; expected ${spec.value ?? "a value"}`);
        }
        if (value === "") {
            throw new ArgumentError(`--${name}: "" is not allowed; expected ${spec.value ?? "a value"}`);
        }
        out[name] = value;
    }
    return out as ParsedOptions<S>;
}

export function usage(command: string, synopsis: string, specs: OptionSpecs): string {
    const rows = Object.entries(specs).map(([name, s]) => [`--${name}${s.type === "string" ? ` ${s.value ?? "VALUE"}` : ""}`, s.description] as const);
    const width = Math.max(...rows.map(([left]) => left.length));
    return [`usage: pg-backup-stack ${command} ${synopsis}`, "", "options:", ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)].join("\n");
}

export function required<T>(name: string, value: T | undefined, expected: string): T {
    if (value === undefined) {
        throw new ArgumentError(`--${name}: missing; expected ${expected}`);
    }
    return value;
}

export function integerOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
    if (value === undefined) {
        return undefined;
    }
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
        throw new ArgumentError(`--${name}: "${value}" is not allowed; expected an integer ${min}..${max}`);
    }
    return n;
}

export function numberOption(name: string, value: string | undefined, minExclusive: number, max: number): number | undefined {
    if (value === undefined) {
        return undefined;
    }
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n <= minExclusive || n > max) {
        throw new ArgumentError(`--${name}: "${value}" is not allowed; expected a number > ${minExclusive} and <= ${max}`);
    }
    return n;
}

const ISO_TIME_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;
const ISO_TIME_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$/;

/**
 * An ISO-8601 time with a zone, e.g. 2026-11-21T12:00:00Z. A time without one is refused: it
 * would be read in this machine's local zone (and a bare date as UTC midnight).
 */
export function timeOption(name: string, value: string | undefined): Date | undefined {
    if (value === undefined) {
        return undefined;
    }
    const expected = "expected an ISO-8601 time with a zone such as 2026-11-21T12:00:00Z";
    if (ISO_TIME_WITHOUT_ZONE.test(value)) {
        throw new ArgumentError(`--${name}: "${value}" has no time zone; ${expected}`);
    }
    const t = Date.parse(value);
    if (!ISO_TIME_WITH_ZONE.test(value) || Number.isNaN(t)) {
        throw new ArgumentError(`--${name}: "${value}" is not allowed; ${expected}`);
    }
    return new Date(t);
}

export function httpUrlOption(name: string, value: string | undefined): string | undefined {
    if (value === undefined) {
        return undefined;
    }
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        throw new ArgumentError(`--${name}: "${value}" is not allowed; expected an http:// or https:// URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new ArgumentError(`--${name}: "${value}" is not allowed; expected an http:// or https:// URL`);
    }
    return value;
}

/** S3 bucket names: 3..63 of a-z 0-9 . - , starting and ending with a letter or digit. */
export function bucketOption(name: string, value: string | undefined): string | undefined {
    if (value === undefined) {
        return undefined;
    }
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value)) {
        throw new ArgumentError(`--${name}: "${value}" is not allowed; expected an S3 bucket name (3..63 of a-z 0-9 . -, starting and ending with a letter or digit)`);
    }
    return value;
}

/** Logical database name as used in backup keys. */
export function databaseOption(name: string, value: string | undefined): string | undefined {
    if (value === undefined) {
        return undefined;
    }
    if (!/^[A-Za-z0-9_.-]{1,63}$/.test(value)) {
        throw new ArgumentError(`--${name}: "${value}" is not allowed; expected 1..63 of A-Z a-z 0-9 _ . -`);
    }
    return value;
}

/**
 * A `postgres://` URL option as a PgTarget. A URL without a password gets the one libpq would
 * use: PGPASSWORD, else the password file (PGPASSFILE, else ~/.pgpass), so the password need not
 * be on the command line where `ps` shows it.
 */
export function postgresUrlOption(name: string, value: string | undefined, env: NodeJS.ProcessEnv, warn: (line: string) => void = () => undefined): PgTarget | undefined {
    if (value === undefined) {
        return undefined;
    }
    const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(value);
    if (authority !== null && value.indexOf("@", authority[0].length) !== -1) {
        throw new ArgumentError(
            `--${name}: "${redactUrl(value)}" has a "/", "?" or "#" before its last "@", so a URL parser would read part of the password as the host or path; percent-encode them in the password (%2F, %3F, %23), or leave the password out and set PGPASSWORD`,
        );
    }
    try {
        return withPasswordFromEnv(parsePostgresUrl(value, `--${name}`), env, warn).target;
    } catch (err) {
        throw err instanceof PgTargetError ? new ArgumentError(err.message) : err;
    }
}
