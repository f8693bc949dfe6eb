import { z } from "zod";
import { ConfigValidationError, Finding, Rule, error } from "./findings";
import { RawStackConfig, isRecord } from "./load";
import { ParsedConfig, stackConfigSchema } from "./schema";
import { rules as foundationRules } from "./rules/foundation";
import { rules as rdsRules } from "./rules/rds";
import { rules as awsBackupRules } from "./rules/awsBackup";
import { rules as azureRules } from "./rules/azure";
import { rules as azureRunnerRules } from "./rules/azureRunner";
import { rules as functionRules } from "./rules/functions";

/** Every rule, in the order their findings are listed. */
export const ALL_RULES: readonly Rule[] = [...foundationRules, ...rdsRules, ...awsBackupRules, ...azureRules, ...azureRunnerRules, ...functionRules];

/**
 * The validated configuration every component takes its values from: the parsed config with
 * the values that depend on the environment resolved.
 */
export type StackConfig = ParsedConfig & {
    readonly protect: boolean;
    readonly isProd: boolean;
};

export interface ValidationResult {
    /** Present only when there is no error. */
    readonly config?: StackConfig;
    /** Every error and warning, errors first. */
    readonly findings: readonly Finding[];
}

/** Checks a raw stack configuration against the schema, then against every rule. */
export function validateConfig(raw: RawStackConfig): ValidationResult {
    const findings: Finding[] = [...secretFindings(raw)];
    const parsed = stackConfigSchema.safeParse(raw.values);
    if (!parsed.success) {
        findings.push(...parsed.error.issues.flatMap((issue) => issueFindings(issue, raw.values)));
        return { findings: sortFindings(findings) };
    }
    findings.push(...regionCrossCheck(parsed.data, raw));
    for (const rule of ALL_RULES) findings.push(...rule(parsed.data));
    const sorted = sortFindings(findings);
    if (sorted.some((f) => f.severity === "error")) return { findings: sorted };
    return { config: resolve(parsed.data), findings: sorted };
}

/** Like validateConfig, but throws ConfigValidationError listing every error. */
export function loadConfig(raw: RawStackConfig): StackConfig {
    const result = validateConfig(raw);
    if (result.config === undefined) throw new ConfigValidationError(raw.source, result.findings);
    return result.config;
}

function resolve(parsed: ParsedConfig): StackConfig {
    const isProd = parsed.environment === "prod";
    return { ...parsed, isProd, protect: parsed.protect ?? isProd };
}

function sortFindings(findings: Finding[]): Finding[] {
    return [...findings.filter((f) => f.severity === "error"), ...findings.filter((f) => f.severity === "warning")];
}

/** `aws:region`, when set, must be the primary region: the program's default provider runs there. */
function regionCrossCheck(config: ParsedConfig, raw: RawStackConfig): Finding[] {
    const awsRegion = raw.foreign["aws:region"];
    if (awsRegion === undefined || awsRegion === config.regions?.primary) return [];
    if (config.regions === undefined) return [error("aws:region", awsRegion, "is set, but the stack has no regions (Azure-only): remove it, or give regions")];
    return [error("aws:region", awsRegion, `differs from regions.primary "${config.regions.primary}"; set both to the same region`)];
}

const SECRET_KEY = /(password|passwd|secret|token|webhook|apikey|api_key)/i;

/**
 * In a stack file, a secret must be encrypted (`secure: v1:...`); a plain value under a
 * secret-looking key, or in a field declared secret, is refused with the command to fix it.
 */
function secretFindings(raw: RawStackConfig): Finding[] {
    if (raw.origin !== "file") return [];
    const out: Finding[] = [];
    const visit = (value: unknown, path: string, declaredSecret: boolean): void => {
        if (isRecord(value)) {
            if ("secure" in value) return;
            for (const [k, v] of Object.entries(value)) visit(v, path === "" ? k : `${path}.${k}`, SECRET_KEY.test(k) && !/arn$/i.test(k));
            return;
        }
        if (Array.isArray(value)) {
            value.forEach((v, i) => visit(v, `${path}[${i}]`, declaredSecret));
            return;
        }
        if (declaredSecret && typeof value === "string") {
            out.push(error(path, "(plain text)", `must be a Pulumi secret: pulumi config set --secret --path '${pathForCli(path)}' <value>`));
        }
    };
    for (const [key, value] of Object.entries(raw.values)) visit(value, key, SECRET_KEY.test(key));
    return out;
}

function pathForCli(path: string): string {
    return `pg-backup-stack:${path}`;
}

/** Turns one schema issue into findings that name the key, show the value and say what is allowed. */
function issueFindings(issue: z.core.$ZodIssue, values: Readonly<Record<string, unknown>>): Finding[] {
    const path = formatPath(issue.path);
    const value = valueAt(values, issue.path);
    switch (issue.code) {
        case "unrecognized_keys":
            return issue.keys.map((key) => {
                const keyPath = path === "" ? key : `${path}.${key}`;
                const allowed = allowedKeys(issue.path);
                return error(keyPath, valueAt(values, [...issue.path, key]), `is not a known key${allowed ? `; allowed here: ${allowed}` : ""}`);
            });
        case "invalid_type":
            return [error(path || "(root)", value, value === undefined ? `is required (${issue.expected})` : `must be ${article(issue.expected)}`)];
        case "too_small":
            return [error(path, value, Number(issue.minimum) === 0 && !issue.inclusive ? "must be greater than 0" : `must be ${issue.inclusive ? "at least" : "greater than"} ${String(issue.minimum)}${unitOf(issue.origin)}`)];
        case "too_big":
            return [error(path, value, `must be ${issue.inclusive ? "at most" : "less than"} ${String(issue.maximum)}${unitOf(issue.origin)}`)];
        case "invalid_value":
            return [error(path, value, `must be one of: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`)];
        case "invalid_format":
            return [error(path, value, issue.format === "regex" ? issue.message : `must be a valid ${issue.format}`)];
        case "invalid_union":
            return [error(path, value, "must be a plain value or a Pulumi secret (secure: ...)")];
        case "not_multiple_of":
            return [error(path, value, `must be a multiple of ${String(issue.divisor)}`)];
        default:
            return [error(path, value, issue.message)];
    }
}

function unitOf(origin: string): string {
    return origin === "array" ? " item(s)" : origin === "string" ? " character(s)" : "";
}

function article(expected: string): string {
    if (expected === "int") return "a whole number";
    if (expected === "object") return "a mapping";
    if (expected === "array") return "a list";
    return `a ${expected}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
    let out = "";
    for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
    return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
    let cur: unknown = root;
    for (const p of path) {
        if (Array.isArray(cur) && typeof p === "number") cur = cur[p];
        else if (isRecord(cur)) cur = cur[String(p)];
        else return undefined;
    }
    return cur;
}

/** The keys the schema accepts at a path, for "allowed here" hints. */
function allowedKeys(path: readonly PropertyKey[]): string | undefined {
    let schema: z.core.$ZodType | undefined = stackConfigSchema;
    for (const p of [...path, null]) {
        schema = unwrapSchema(schema);
        if (p === null) break;
        if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, z.core.$ZodType>)[String(p)];
        else if (schema instanceof z.ZodArray) schema = schema.element as z.core.$ZodType;
        else return undefined;
    }
    return schema instanceof z.ZodObject ? Object.keys(schema.shape).join(", ") : undefined;
}

function unwrapSchema(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
    let s = schema;
    for (let i = 0; i < 10 && s !== undefined; i++) {
        const def = s._zod.def as { innerType?: z.core.$ZodType };
        if (def.innerType === undefined) return s;
        s = def.innerType;
    }
    return s;
}
