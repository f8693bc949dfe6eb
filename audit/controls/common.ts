import { isRecord, type RawStackConfig } from "../../config/load";
import { COMPONENT_NAMES as N, monitoringName, scheduledRuns, type ScheduledRun } from "../../config/resourceNames";
import type { StackScope } from "../../config/scope";
import type { StackConfig } from "../../config/validate";
import { failedChecksFor } from "../evidence";
import { mappingOf } from "../mappings";
import type { Cloud, ConfigKey, ControlId, ControlStatus, Evidence, ReportControl } from "../model";
import { scheduleInWords } from "../scheduleWords";

/** The pieces every control shares: the context, the builder, how components and keys are named. */

export interface Ctx {
    readonly c: StackConfig;
    readonly scope: StackScope;
    readonly raw: RawStackConfig;
    readonly evidence: Evidence | undefined;
    readonly clouds: readonly Cloud[];
}

type Database = StackConfig["aws"]["databases"][number];

/** How the report names a component the program declares: its kind, its logical name (config/resourceNames.ts), then what it contributes. */
export function named(kind: string, name: string, detail?: string): string {
    return `${kind} "${name}"${detail === undefined ? "" : `: ${detail}`}`;
}

/** The scheduled runs of the given kinds, named as the program declares them, in one line; none when the stack declares no functions. */
export function runs(ctx: Ctx, kinds: readonly ScheduledRun["kind"][], detail: string): string[] {
    const selected = scheduledRuns(ctx.c, ctx.scope).filter((r) => kinds.includes(r.kind));
    return selected.length === 0 ? [] : [`${selected.map((r) => named(r.component, r.name)).join(", ")}: ${detail}`];
}

/** The stack's BackupAlarms, declared with the functions. */
export function alarms(ctx: Ctx, detail?: string): string[] {
    return scheduledRuns(ctx.c, ctx.scope).length === 0 ? [] : [named("BackupAlarms", monitoringName(ctx.scope), detail)];
}

/** The stack's BackupDashboard, declared with the functions. */
export function dashboard(ctx: Ctx): string[] {
    return scheduledRuns(ctx.c, ctx.scope).length === 0 ? [] : [named("BackupDashboard", monitoringName(ctx.scope))];
}

type AzureRunner = NonNullable<NonNullable<StackConfig["azure"]>["runner"]>;

/** The Azure runner as the program declares it: only beside a storage account its jobs write to. */
export function azureRunner(c: StackConfig): AzureRunner | undefined {
    return c.azure?.storage !== undefined ? c.azure.runner : undefined;
}

/** The runner's ContainerJobs, by its logical name. */
export function containerJobs(detail: string): string {
    return named("ContainerJobs", N.azureRunner, detail);
}

/**
 * The runner's log search alerts, the Azure counterparts of the CloudWatch alarms: they run a
 * query over the jobs' logs in the Log Analytics workspace on a schedule and notify the action
 * group ("Log search alerts", https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-types#log-alerts;
 * failed executions are the platform's own events of Container Apps jobs,
 * https://learn.microsoft.com/azure/container-apps/jobs).
 */
export function runnerAlerts(runner: AzureRunner): string {
    return `failed job (a dump, export or verify run that logs a failed result, within 15 minutes), missing success (no successful dump or verify within ${runner.maxBackupAgeHours} h), failed execution (an execution the platform stopped or gave up on)`;
}

/** The runner's targets in words: `blog-db (database blog)`. */
export function targetNames(runner: AzureRunner): string {
    return runner.targets.map((t) => `${t.server} (database ${t.databaseName})`).join(", ");
}

/** Collects one control; `gap()` and `flag()` set its status, the worst one wins. */
export class ControlBuilder {
    private readonly guarantees: string[] = [];
    private readonly findings: string[] = [];
    private readonly keys: ConfigKey[] = [];
    private readonly resources: string[] = [];
    private readonly evidence: string[] = [];
    private status: ControlStatus = "in place";

    constructor(private readonly ctx: Ctx, private readonly id: ControlId, private readonly title: string) {}

    says(...lines: string[]): this {
        this.guarantees.push(...lines);
        return this;
    }

    /** Records a key; a schedule's value is followed by its reading in words. */
    key(path: string, value: unknown): this {
        const shown = showValue(value);
        const words = /(^schedules\.|\.schedule$)/.test(path) && typeof value === "string" ? scheduleInWords(value) : shown;
        this.keys.push({ path, value: words === shown ? shown : `${shown} (${words})`, origin: rawValueAt(this.ctx.raw.values, path) === undefined ? "default" : "set" });
        return this;
    }

    enforcedBy(...resources: string[]): this {
        this.resources.push(...resources);
        return this;
    }

    gap(finding: string): this {
        this.findings.push(finding);
        if (this.status === "in place") this.status = "gap";
        return this;
    }

    measured(line: string): this {
        this.evidence.push(line);
        return this;
    }

    flag(finding: string): this {
        this.findings.push(finding);
        this.status = "flagged";
        return this;
    }

    /** Flags the control for every failed evidence check that bears on it, then returns it. */
    build(): ReportControl {
        const e = this.ctx.evidence;
        for (const ch of failedChecksFor(e, this.id)) this.flag(`the ${e?.kind ?? "evidence"} check ${ch.name} failed: ${ch.detail}`);
        return {
            id: this.id,
            title: this.title,
            status: this.status,
            guarantees: this.guarantees,
            findings: this.findings,
            keys: this.keys,
            resources: this.resources,
            evidence: this.evidence,
            mapping: mappingOf(this.id, this.ctx.clouds),
        };
    }
}

export function managed(c: StackConfig): { db: Database; i: number; instance: NonNullable<Database["instance"]> }[] {
    return c.aws.databases.flatMap((db, i) => (db.instance === undefined ? [] : [{ db, i, instance: db.instance }]));
}

export function awsBackupActive(c: StackConfig): boolean {
    return c.aws.backup.enabled && managed(c).length > 0;
}

function showValue(value: unknown): string {
    if (value === undefined) return "(not set)";
    if (typeof value === "string") return value;
    if (Array.isArray(value)) return value.length === 0 ? "(none)" : value.map((v) => showValue(v)).join(", ");
    if (isRecord(value) && "secure" in value) return "(secret)";
    return JSON.stringify(value) ?? String(value);
}

/** The value a dotted path (`aws.databases[0].instance.backupRetentionDays`) has in the stack file, or undefined. */
function rawValueAt(values: Readonly<Record<string, unknown>>, path: string): unknown {
    let cur: unknown = values;
    for (const part of path.replace(/\[(\d+)\]/g, ".$1").split(".")) {
        if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
        else if (isRecord(cur)) cur = cur[part];
        else return undefined;
    }
    return cur;
}
