import { createHash } from "crypto";
import type { z } from "zod";
import { stackConfigSchema } from "./schema";
import { secretString } from "./sections/common";
import type { StackConfig } from "./validate";

/** Format tag of the recorded configuration, so a later reader knows how to read it. */
export const STACK_CONFIG_RECORD_FORMAT = "pg-backup-stack/stack-config@1";

/** Placeholder of every secret value in the record. */
export const REDACTED = "[secret]";

/** The configuration a deployment put in force, as it is stored beside the backups. */
export interface StackConfigRecord {
    /** Deterministic JSON: keys sorted, secrets replaced by `[secret]`. */
    readonly json: string;
    /** Lower-case hex SHA-256 of `json`. */
    readonly sha256: string;
    /** Object key under which it is stored: content-addressed, so each distinct configuration is kept once. */
    readonly key: string;
}

/**
 * The validated configuration of a stack (defaults filled) as a record to keep with the backups,
 * so that a restore can tell which retention, lock, schedules and objectives were in force when
 * a backup was taken. Every value the schema declares a secret is replaced, wherever it sits.
 */
export function stackConfigRecord(config: StackConfig): StackConfigRecord {
    const json = JSON.stringify(sortKeys({ format: STACK_CONFIG_RECORD_FORMAT, config: redactSecrets(stackConfigSchema, config) }), null, 2);
    const sha256 = createHash("sha256").update(json).digest("hex");
    return { json, sha256, key: `stack-config/${config.environment}/${sha256}.json` };
}

/** Walks a value along its schema, replacing what the schema declares a secret. */
function redactSecrets(schema: z.core.$ZodType, value: unknown): unknown {
    if (value === undefined || value === null) return value;
    if (schema === secretString) return REDACTED;
    const def = schema._zod.def;
    const inner = wrapped(def);
    if (inner !== undefined) return redactSecrets(inner, value);
    switch (def.type) {
        case "object": {
            if (!isRecord(value)) return value;
            const shape = (def as z.core.$ZodObjectDef).shape;
            return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape[k] === undefined ? v : redactSecrets(shape[k], v)]));
        }
        case "array":
            return Array.isArray(value) ? value.map((v: unknown) => redactSecrets((def as z.core.$ZodArrayDef).element, v)) : value;
        case "record":
            return isRecord(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets((def as z.core.$ZodRecordDef).valueType, v)])) : value;
        case "union":
            return containsSecret(schema) ? REDACTED : value;
        default:
            return value;
    }
}

/** Whether a schema is, or holds anywhere inside it, a secret. */
function containsSecret(schema: z.core.$ZodType): boolean {
    if (schema === secretString) return true;
    const def = schema._zod.def;
    const inner = wrapped(def);
    if (inner !== undefined) return containsSecret(inner);
    switch (def.type) {
        case "object":
            return Object.values((def as z.core.$ZodObjectDef).shape).some(containsSecret);
        case "array":
            return containsSecret((def as z.core.$ZodArrayDef).element);
        case "record":
            return containsSecret((def as z.core.$ZodRecordDef).valueType);
        case "union":
            return (def as z.core.$ZodUnionDef).options.some(containsSecret);
        default:
            return false;
    }
}

/** The schema a wrapper (optional, default, pipe, ...) validates its value with; undefined for other kinds. */
function wrapped(def: z.core.$ZodTypeDef): z.core.$ZodType | undefined {
    switch (def.type) {
        case "optional":
        case "nullable":
        case "default":
        case "prefault":
        case "nonoptional":
        case "readonly":
        case "catch":
            return (def as z.core.$ZodOptionalDef).innerType;
        case "pipe":
            return (def as z.core.$ZodPipeDef).out;
        default:
            return undefined;
    }
}

function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (!isRecord(value)) return value;
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
