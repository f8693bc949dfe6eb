import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { CONFIG_NAMESPACE } from "./schema";

/** The raw configuration of one stack: the `pg-backup-stack:*` keys, namespace stripped. */
export interface RawStackConfig {
    /** Where it came from, for messages: a file path or `pulumi config`. */
    readonly source: string;
    /** `file` values hold `{ secure: ... }` for secrets; `program` values are decrypted by the engine. */
    readonly origin: "file" | "program";
    readonly values: Readonly<Record<string, unknown>>;
    /** Keys of other namespaces (`aws:region`, ...), kept for cross-checks. */
    readonly foreign: Readonly<Record<string, unknown>>;
}

export class StackFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackFileError";
    }
}

/** `Pulumi.<stack>.yaml` beside `Pulumi.yaml` in `dir`. */
export function stackFilePath(stack: string, dir = process.cwd()): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
        throw new StackFileError(`--stack: "${stack}" is not a stack name (letters, digits, '-', '_', '.')`);
    }
    return path.join(dir, `Pulumi.${stack}.yaml`);
}

/** The Pulumi stack a stack file belongs to: `<stack>` of `Pulumi.<stack>.yaml`, else the file's base name. */
export function stackNameOfFile(file: string): string {
    const base = path.basename(file);
    return /^Pulumi\.(.+)\.ya?ml$/.exec(base)?.[1] ?? base.replace(/\.ya?ml$/, "");
}

/** Reads a stack file; secrets stay encrypted (`{ secure: ... }`), which validation requires of them. */
export function readStackFile(file: string): RawStackConfig {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        const reason = err instanceof Error && "code" in err && err.code === "ENOENT" ? "no such file" : String(err);
        throw new StackFileError(`${file}: ${reason}`);
    }
    let doc: unknown;
    try {
        doc = parseYaml(text);
    } catch (err) {
        throw new StackFileError(`${file}: not valid YAML: ${err instanceof Error ? err.message : String(err)}`);
    }
    const config = isRecord(doc) ? doc["config"] : undefined;
    if (!isRecord(config)) throw new StackFileError(`${file}: has no "config:" mapping`);
    return split(file, "file", config);
}

/** The configuration the Pulumi engine hands the running program (secrets decrypted). */
export function fromPulumiConfig(all: Readonly<Record<string, string>>): RawStackConfig {
    const decoded: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(all)) decoded[key] = decodeValue(text);
    return split("pulumi config", "program", decoded);
}

function split(source: string, origin: RawStackConfig["origin"], config: Record<string, unknown>): RawStackConfig {
    const values: Record<string, unknown> = {};
    const foreign: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) {
        if (key.startsWith(`${CONFIG_NAMESPACE}:`)) values[key.slice(CONFIG_NAMESPACE.length + 1)] = value;
        else foreign[key] = value;
    }
    return { source, origin, values, foreign };
}

/** The engine passes every value as a string; structured ones are JSON. */
function decodeValue(text: string): unknown {
    const trimmed = text.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[") || trimmed === "true" || trimmed === "false" || /^-?\d+(\.\d+)?$/.test(trimmed)) {
        try {
            return JSON.parse(trimmed) as unknown;
        } catch {
            return text;
        }
    }
    return text;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}
