import { isRecord } from "../config/load";
import type { StackConfig } from "../config/validate";
import { EvidenceError, type ControlId, type Evidence, type EvidenceCheck } from "./model";

/**
 * Evidence: what a drill (`npm run drill -- --json`) or a verify run measured. Read, checked to
 * be about this stack's databases, and mapped to the controls each check bears on.
 */

/** Optional facts about the evidence file that its content does not carry. */
export interface EvidenceFile {
    /** When the file was last written (ISO 8601), shown for evidence without a time of its own. */
    readonly writtenAt?: string;
}

/**
 * Reads a drill result (the JSON line is the last line of its output) or a verify report. The
 * whole output may be given; the last line that is a JSON object counts.
 */
export function parseEvidence(text: string, source: string, file: EvidenceFile = {}): Evidence {
    const doc = lastJsonObject(text);
    if (doc === undefined) {
        throw new EvidenceError(`${source}: no JSON object found; expected the output of \`npm run drill -- --json\` or a verify report`);
    }
    const stack = typeof doc["stack"] === "string" ? doc["stack"] : typeof doc["environment"] === "string" ? doc["environment"] : undefined;
    const common = { source, ...(stack === undefined ? {} : { stack }), ...(file.writtenAt === undefined ? {} : { fileWrittenAt: file.writtenAt }) };
    if (Array.isArray(doc["checks"]) && typeof doc["rtoSeconds"] === "number") return { ...common, ...drillEvidence(doc, source) };
    if (Array.isArray(doc["targets"])) return { ...common, ...verifyEvidence(doc, source) };
    throw new EvidenceError(`${source}: a JSON object without "checks" and "rtoSeconds" (drill) or "targets" (verify); expected a drill result or a verify report`);
}

/**
 * Refuses evidence that is not about this stack: every database it names must be one of the
 * stack's (aws.databases[].name or azure.servers[].name), and a stack it names must be this one.
 * The message names both sides.
 */
export function checkEvidenceIdentity(evidence: Evidence, config: StackConfig): void {
    const own = [...config.aws.databases.map((d) => d.name), ...(config.azure?.servers ?? []).map((s) => s.name)];
    const foreign = evidence.databases.filter((d) => !own.includes(d));
    const wrongStack = evidence.stack !== undefined && evidence.stack !== config.environment;
    if (foreign.length === 0 && !wrongStack && evidence.databases.length > 0) return;
    const theirs = `${evidence.kind} of ${evidence.databases.length === 0 ? "no named database" : `database(s) ${evidence.databases.join(", ")}`}${evidence.stack === undefined ? "" : ` in stack ${evidence.stack}`}`;
    throw new EvidenceError(
        `${evidence.source}: refused: the evidence is a ${theirs}, but this report is for stack ${config.environment} with database(s) ${own.join(", ") || "(none)"}; give evidence from this stack's databases`,
    );
}

/**
 * The controls a check bears on, by its name (the part after `database/` and `verify.`): a
 * failed check fails each of them.
 */
export function controlsTouchedBy(checkName: string): readonly ControlId[] {
    const base = checkName.split("/").pop()?.split(".").pop() ?? checkName;
    switch (base) {
        case "dump":
        case "freshness":
        case "manifests":
        case "azureFreshness":
            return ["rpo", "verification"];
        case "rto":
            return ["rto", "restore-testing", "verification"];
        case "restore":
        case "rowCounts":
        case "content":
        case "cleanup":
            return ["restore-testing", "verification"];
        default:
            return ["verification"];
    }
}

/** The failed checks of the evidence that bear on a control. */
export function failedChecksFor(evidence: Evidence | undefined, id: ControlId): EvidenceCheck[] {
    return (evidence?.checks ?? []).filter((ch) => !ch.ok && controlsTouchedBy(ch.name).includes(id));
}

function lastJsonObject(text: string): Record<string, unknown> | undefined {
    const candidates = [text, ...text.split("\n").reverse()];
    for (const candidate of candidates) {
        const trimmed = candidate.trim();
        if (!trimmed.startsWith("{")) continue;
        try {
            const parsed: unknown = JSON.parse(trimmed);
            if (isRecord(parsed)) return parsed;
        } catch {
            continue;
        }
    }
    return undefined;
}

type Measured = Omit<Evidence, "source" | "stack" | "fileWrittenAt">;

function drillEvidence(doc: Record<string, unknown>, source: string): Measured {
    const checks = checksOf(doc["checks"], source, "checks", "");
    const database = typeof doc["database"] === "string" ? doc["database"] : undefined;
    const seconds = doc["restoreSeconds"];
    return {
        kind: "drill",
        ok: doc["ok"] === true,
        databases: database === undefined ? [] : [database],
        restores: database !== undefined && typeof seconds === "number" && Number.isFinite(seconds) ? [{ database, seconds }] : [],
        checks,
    };
}

function verifyEvidence(doc: Record<string, unknown>, source: string): Measured {
    const targets = doc["targets"] as unknown[];
    const restores: { database: string; seconds: number }[] = [];
    const checks: EvidenceCheck[] = [];
    const databases: string[] = [];
    targets.forEach((t, i) => {
        if (!isRecord(t) || typeof t["name"] !== "string") throw new EvidenceError(`${source}: targets[${i}] has no "name"; expected a verify report`);
        databases.push(t["name"]);
        checks.push(...checksOf(t["checks"], source, `targets[${i}].checks`, `${t["name"]}/`));
        const restore = t["restore"];
        if (isRecord(restore) && typeof restore["seconds"] === "number") restores.push({ database: t["name"], seconds: restore["seconds"] });
    });
    const ranAt = typeof doc["finishedAt"] === "string" ? doc["finishedAt"] : undefined;
    return { kind: "verify", ok: doc["ok"] === true, ...(ranAt === undefined ? {} : { ranAt }), databases, restores, checks };
}

function checksOf(value: unknown, source: string, path: string, prefix: string): EvidenceCheck[] {
    if (!Array.isArray(value)) throw new EvidenceError(`${source}: ${path} is not a list`);
    return value.map((ch, i) => {
        if (!isRecord(ch) || typeof ch["name"] !== "string" || typeof ch["ok"] !== "boolean") {
            throw new EvidenceError(`${source}: ${path}[${i}] needs "name" (string) and "ok" (boolean)`);
        }
        return { name: `${prefix}${ch["name"]}`, ok: ch["ok"], detail: typeof ch["detail"] === "string" ? ch["detail"] : "" };
    });
}
