import { effectiveVaultLockMode, vaultLockBounds } from "../components/aws/documents/awsBackup";
import { AUDIT_REPORT_PREFIX, auditFrameworkControls, auditNames } from "../components/aws/documents/auditFramework";
import { tierTimeline } from "../components/aws/documents/lifecycle";
import { GEO_REDUNDANCIES, type BlobTiers, type StorageRedundancy } from "../components/azure/documents/lifecycle";
import { auditFrameworkInput } from "../config/auditFramework";
import { drCredentials } from "../config/drCredentials";
import { formatFinding } from "../config/findings";
import { isRecord, type RawStackConfig } from "../config/load";
import { effectiveGeoRedundantBackup, effectiveVaultImmutability, tierBlobLifecycles, vaultRetention } from "../config/rules/azure";
import { backupMaxAgeMinutes, dumpReportSeconds } from "../config/rules/functions";
import { PITR_RPO_MINUTES, pitrMeetsRpo } from "../config/rules/foundation";
import { CONFIG_NAMESPACE, TIER_NAMES } from "../config/schema";
import { COMPONENT_NAMES as N, flexibleServerName, monitoringName, rdsPostgresName, scheduledRuns, type ScheduledRun } from "../config/resourceNames";
import { stackScope, type StackScope } from "../config/scope";
import { formatMinutes } from "../config/schedule";
import type { StackConfig } from "../config/validate";
import { failedChecksFor } from "./evidence";
import { cloudsOf, mappingOf } from "./mappings";
import type { AuditManagerSetup, AuditReport, Cloud, ConfigKey, ControlId, ControlStatus, Evidence, ReportControl, ReportInput } from "./model";
import { cadence, cadenceMinutes, scheduleInWords } from "./scheduleWords";
import { retentionPicture } from "./timeline";

/**
 * The audit report's controls: control by control, what the stack guarantees, which
 * configuration keys set it (with their values, and whether the stack file sets them or the
 * default applies), which components enforce it, what it answers in AWS Backup Audit Manager,
 * Security Hub and the checklists; validation warnings; and, given a drill or verify result,
 * the measured figures against the objectives. A pure function of its inputs (the generation
 * time is one of them): the same inputs give the same report, byte for byte.
 */

/** Builds the report of a valid configuration. Evidence must have passed `checkEvidenceIdentity`. */
export function buildReport(input: ReportInput): AuditReport {
    const scope = stackScope(input.stack);
    const clouds = cloudsOf(input.config);
    const ctx: Ctx = { c: input.config, scope, raw: input.raw, evidence: input.evidence, clouds };
    const controls = [rpo, rto, retention, encryptionAtRest, encryptionInTransit, immutability, geoRedundancy, pointInTimeRecovery, restoreTesting, verification, alerting, leastPrivilege].map(
        (build) => build(ctx),
    );
    const e = input.evidence;
    const auditManager = auditManagerSetup(input.config, scope);
    return {
        source: input.raw.source,
        environment: input.config.environment,
        namespace: CONFIG_NAMESPACE,
        provenance: input.provenance,
        clouds,
        summary: summary(input.config, controls, e),
        controls,
        retention: retentionPicture(input.config),
        ...(auditManager === undefined ? {} : { auditManager }),
        warnings: input.findings.filter((f) => f.severity === "warning").map(formatFinding),
        ...(e === undefined
            ? {}
            : {
                  evidence: {
                      kind: e.kind,
                      source: e.source,
                      ok: e.ok,
                      ...(e.ranAt === undefined ? {} : { ranAt: e.ranAt }),
                      ...(e.fileWrittenAt === undefined ? {} : { fileWrittenAt: e.fileWrittenAt }),
                      ...(e.stack === undefined ? {} : { stack: e.stack }),
                      databases: e.databases,
                      passed: e.checks.filter((c) => c.ok).length,
                      total: e.checks.length,
                  },
              }),
    };
}

function auditManagerSetup(c: StackConfig, scope: StackScope): AuditManagerSetup | undefined {
    const input = auditFrameworkInput(c, scope);
    if (input === undefined || c.regions === undefined) return undefined;
    const names = auditNames(scope.stack);
    return {
        frameworkName: names.framework,
        reportPlanName: names.reportPlan,
        region: c.regions.primary,
        delivery: `daily control compliance reports (CSV and JSON) to the bucket of AuditFramework "${N.auditFramework}" (Pulumi resource ${N.auditFramework}-reports-bucket), under ${AUDIT_REPORT_PREFIX}/Backup/${c.regions.primary}/<yyyy>/<mm>/<dd>/`,
        prerequisite: "The controls are evaluated only where AWS Config records the AWS Backup and RDS resource types in the Region; the stack does not set up AWS Config.",
        controls: auditFrameworkControls(input).map((ctl) => `${ctl.name}${ctl.inputParameters.length === 0 ? "" : ` (${ctl.inputParameters.map((p) => `${p.name}=${p.value}`).join(", ")})`}`),
    };
}

/** The first questions an auditor asks, answered in a line each with the status of the control behind it. */
function summary(c: StackConfig, controls: readonly ReportControl[], e: Evidence | undefined): AuditReport["summary"] {
    const status = (id: ControlId): ControlStatus => controls.find((ctl) => ctl.id === id)?.status ?? "gap";
    const pitr = [...managed(c).filter(({ instance }) => instance.backupRetentionDays > 0).map(({ db }) => db.name), ...(c.azure?.servers ?? []).map((s) => s.name)];
    const lock = c.storage.objectLock;
    const st = c.azure?.storage;
    const restores = e?.restores ?? [];
    const verified = c.aws.databases.filter((d) => d.verify).map((d) => d.name);
    const rt = c.aws.backup.restoreTesting;
    const runner = azureRunner(c);
    return [
        {
            question: "RPO",
            answer: `${formatMinutes(c.objectives.rpoMinutes)}: dumps ${scheduleInWords(c.schedules.dump)}${pitr.length > 0 ? `; point-in-time recovery for ${pitr.join(", ")} (about ${PITR_RPO_MINUTES} min)` : ""}`,
            status: status("rpo"),
        },
        {
            question: "RTO",
            answer: `${formatMinutes(c.objectives.rtoMinutes)}: ${
                restores.length > 0 ? `measured ${restores.map((r) => `${r.database} ${r.seconds.toFixed(1)} s`).join(", ")} (${e?.kind ?? ""})` : "no measured restore in this report"
            }`,
            status: status("rto"),
        },
        { question: "Retention", answer: TIER_NAMES.map((t) => `${t} ${c.retention[t].keepDays} d`).join(", "), status: status("retention") },
        {
            question: "Immutability",
            answer: [
                ...(c.regions === undefined ? [] : [lock?.mode !== undefined && lock.days !== undefined
                    ? `S3 Object Lock ${lock.mode} on each dump for its tier's days (${TIER_NAMES.map((t) => `${t} ${c.retention[t].keepDays} d`).join(", ")}), ${lock.days} d for other objects`
                    : "no S3 Object Lock"]),
                ...(awsBackupActive(c) ? [`AWS Backup vault lock ${effectiveVaultLockMode(c.aws.backup.vaultLock.mode, c.environment)}`] : []),
                ...(st !== undefined ? [st.versionLevelImmutability
                    ? `Azure ${lock?.mode === "COMPLIANCE" ? "locked" : "unlocked"} policy on each dump for its tier's days`
                    : st.immutabilityDays !== undefined ? `Azure container immutability ${st.immutabilityDays} d, unlocked` : "no Azure immutability"] : []),
                ...(c.azure?.backupVault !== undefined ? [`Azure Backup vault immutability ${effectiveVaultImmutability(c, c.azure.backupVault)}`] : []),
            ].join("; "),
            status: status("immutability"),
        },
        {
            question: "Copies",
            answer: [
                ...(c.regions === undefined ? [] : [c.storage.replication ? `dumps in ${c.regions.primary} and ${c.regions.dr}` : `dumps in ${c.regions.primary} only`]),
                ...(c.regions !== undefined && awsBackupActive(c) ? [`AWS Backup recovery points copied to ${c.regions.dr}`] : []),
                ...(c.azure?.storage !== undefined ? [`Azure dumps ${c.azure.storage.redundancy}`] : []),
                ...(c.azure?.backupVault !== undefined ? [`Azure Backup vault ${c.azure.backupVault.redundancy}`] : []),
                ...(c.azure?.servers ?? []).map((s) => `${s.name}: ${effectiveGeoRedundantBackup(c, s) ? "geo-redundant backups" : "local backups only"}`),
            ].join("; "),
            status: status("geo-redundancy"),
        },
        {
            question: "Restore testing",
            answer: [
                ...(verified.length > 0 ? [`${verified.join(", ")} restored and row-counted ${scheduleInWords(c.schedules.verify)}`] : []),
                ...(runner !== undefined ? [`Azure: ${runner.targets.map((t) => t.server).join(", ")} restored and row-counted by the verify job (${runner.schedules.verify}, cron in UTC)`] : []),
                ...(verified.length === 0 && runner === undefined ? ["no dump is restore-verified"] : []),
                ...(awsBackupActive(c) && rt.enabled ? [`AWS Backup restore testing ${scheduleInWords(rt.schedule)}`] : []),
                ...(e === undefined ? [] : [`${e.kind} evidence: ${e.ok ? "passed" : "FAILED"}`]),
            ].join("; "),
            status: status("restore-testing"),
        },
    ];
}

// ---------------------------------------------------------------------------------------------
// Controls

interface Ctx {
    readonly c: StackConfig;
    readonly scope: StackScope;
    readonly raw: RawStackConfig;
    readonly evidence: Evidence | undefined;
    readonly clouds: readonly Cloud[];
}

type Database = StackConfig["aws"]["databases"][number];

/** How the report names a component the program declares: its kind, its logical name (config/resourceNames.ts), then what it contributes. */
function named(kind: string, name: string, detail?: string): string {
    return `${kind} "${name}"${detail === undefined ? "" : `: ${detail}`}`;
}

/** The scheduled runs of the given kinds, named as the program declares them, in one line; none when the stack declares no functions. */
function runs(ctx: Ctx, kinds: readonly ScheduledRun["kind"][], detail: string): string[] {
    const selected = scheduledRuns(ctx.c, ctx.scope).filter((r) => kinds.includes(r.kind));
    return selected.length === 0 ? [] : [`${selected.map((r) => named(r.component, r.name)).join(", ")}: ${detail}`];
}

/** The stack's BackupAlarms, declared with the functions. */
function alarms(ctx: Ctx, detail?: string): string[] {
    return scheduledRuns(ctx.c, ctx.scope).length === 0 ? [] : [named("BackupAlarms", monitoringName(ctx.scope), detail)];
}

/** The stack's BackupDashboard, declared with the functions. */
function dashboard(ctx: Ctx): string[] {
    return scheduledRuns(ctx.c, ctx.scope).length === 0 ? [] : [named("BackupDashboard", monitoringName(ctx.scope))];
}

type AzureRunner = NonNullable<NonNullable<StackConfig["azure"]>["runner"]>;

/** The Azure runner as the program declares it: only beside a storage account its jobs write to. */
function azureRunner(c: StackConfig): AzureRunner | undefined {
    return c.azure?.storage !== undefined ? c.azure.runner : undefined;
}

/** The runner's ContainerJobs, by its logical name. */
function containerJobs(detail: string): string {
    return named("ContainerJobs", N.azureRunner, detail);
}

/**
 * The runner's log search alerts, the Azure counterparts of the CloudWatch alarms: they run a
 * query over the jobs' logs in the Log Analytics workspace on a schedule and notify the action
 * group ("Log search alerts", https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-types#log-alerts;
 * failed executions are the platform's own events of Container Apps jobs,
 * https://learn.microsoft.com/azure/container-apps/jobs).
 */
function runnerAlerts(runner: AzureRunner): string {
    return `failed job (a dump, export or verify run that logs a failed result, within 15 minutes), missing success (no successful dump or verify within ${runner.maxBackupAgeHours} h), failed execution (an execution the platform stopped or gave up on)`;
}

/** The runner's targets in words: `blog-db (database blog)`. */
function targetNames(runner: AzureRunner): string {
    return runner.targets.map((t) => `${t.server} (database ${t.databaseName})`).join(", ");
}

/** Collects one control; `gap()` and `flag()` set its status, the worst one wins. */
class ControlBuilder {
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

function managed(c: StackConfig): { db: Database; i: number; instance: NonNullable<Database["instance"]> }[] {
    return c.aws.databases.flatMap((db, i) => (db.instance === undefined ? [] : [{ db, i, instance: db.instance }]));
}

function awsBackupActive(c: StackConfig): boolean {
    return c.aws.backup.enabled && managed(c).length > 0;
}

function rpo(ctx: Ctx): ReportControl {
    const { c } = ctx;
    const b = new ControlBuilder(ctx, "rpo", "Recovery point objective (RPO)");
    const gap = cadenceMinutes(c.schedules.dump);
    const viaPitr = pitrMeetsRpo(c);
    b.says(`At most ${formatMinutes(c.objectives.rpoMinutes)} of committed data may be lost.`);
    b.says(`Logical dumps run ${cadence(c.schedules.dump)}${gap !== undefined && gap > c.objectives.rpoMinutes ? " (longer than the RPO)" : ""}.`);
    if (viaPitr) {
        b.says(`Point-in-time recovery covers every database (transaction logs archived about every ${PITR_RPO_MINUTES} min), so the RPO also holds between dumps.`);
    }
    const maxAge = backupMaxAgeMinutes(c);
    if (scheduledRuns(c, ctx.scope).length > 0) b.says(
        `A database whose newest dump is older than ${formatMinutes(maxAge)}${maxAge === c.objectives.rpoMinutes ? " (the RPO)" : " (the longest gap between dumps, as point-in-time recovery carries the RPO)"}, or that reports no dump at all, raises the backup-age / backup-missing alarm.`,
    );
    c.aws.databases.forEach((db, i) => {
        if (db.runner !== "fargate") return;
        b.says(`${db.name} is dumped by a Fargate task: its backup counts as missing ${formatMinutes(dumpReportSeconds(c, db, i) / 60)} after the allowed age (its dump's estimated duration), and a task that stops without succeeding (failed to start, out of memory, exit code not 0) raises the task-failed alarm at once.`);
        b.key(`aws.databases[${i}].runner`, db.runner);
    });
    b.key("objectives.rpoMinutes", c.objectives.rpoMinutes).key("schedules.dump", c.schedules.dump);
    const runner = azureRunner(c);
    if (runner !== undefined) {
        b.says(
            `Azure: ${targetNames(runner)} dumped by a Container Apps job (${runner.schedules.dump}, cron in UTC); a target without a successful dump within ${runner.maxBackupAgeHours} h raises the missing-backup alert, and a failed dump run the failed-job alert at once (the Azure counterparts of the backup-missing and dump-failed alarms).`,
        );
        b.key("azure.runner.schedules.dump", runner.schedules.dump).key("azure.runner.maxBackupAgeHours", runner.maxBackupAgeHours);
        b.enforcedBy(containerJobs("dump job per target; missing-backup and failed-job alerts"));
    }
    for (const { i, instance } of managed(c)) b.key(`aws.databases[${i}].instance.backupRetentionDays`, instance.backupRetentionDays);
    (c.azure?.servers ?? []).forEach((s, i) => b.key(`azure.servers[${i}].backupRetentionDays`, s.backupRetentionDays));
    b.enforcedBy(...runs(ctx, ["dump"], "runs pg_dump on the schedule; a dump without its manifest never counts"), ...alarms(ctx, "backup missing and backup age"));
    if (c.aws.databases.some((db) => db.runner === "fargate")) b.enforcedBy(...alarms(ctx, "task failed: a Fargate dump task that stops without succeeding"));
    for (const { db } of managed(c)) b.enforcedBy(named("RdsPostgres", rdsPostgresName(db.name), "automated backups and point-in-time recovery"));
    for (const s of c.azure?.servers ?? []) b.enforcedBy(named("FlexibleServerBackup", flexibleServerName(s.name), "continuous backups and point-in-time restore"));
    if (gap !== undefined && gap > c.objectives.rpoMinutes && !viaPitr) {
        b.gap(`dumps can be ${formatMinutes(gap)} apart, longer than the RPO of ${formatMinutes(c.objectives.rpoMinutes)}, and point-in-time recovery does not cover every database`);
    }
    return b.build();
}

function rto(ctx: Ctx): ReportControl {
    const { c, evidence } = ctx;
    const b = new ControlBuilder(ctx, "rto", "Recovery time objective (RTO)");
    const verified = c.aws.databases.filter((d) => d.verify);
    const rtoSeconds = c.objectives.rtoMinutes * 60;
    b.says(`A restore must be complete within ${formatMinutes(c.objectives.rtoMinutes)}.`);
    if (verified.length > 0) {
        b.says(
            `Every verification run (${cadence(c.schedules.verify)}) restores the newest dump of ${verified.map((d) => d.name).join(", ")} into a scratch database with ${c.functions.restoreJobs} parallel job(s) and measures download, checks and pg_restore; a restore over the RTO fails the run and raises the restore-time alarm.`,
        );
    }
    if (c.functions.verify.timeoutSeconds < rtoSeconds) {
        b.says(`The verify function stops after ${c.functions.verify.timeoutSeconds} s; a restore longer than that fails verification and must be timed with the drill.`);
    }
    b.says("Point-in-time restores of RDS and Flexible Server are not timed by the stack: time them in a drill (`pitr ... --wait`).");
    b.key("objectives.rtoMinutes", c.objectives.rtoMinutes)
        .key("schedules.verify", c.schedules.verify)
        .key("functions.restoreJobs", c.functions.restoreJobs)
        .key("functions.verify.timeoutSeconds", c.functions.verify.timeoutSeconds);
    b.enforcedBy(...runs(ctx, ["verify"], "timed scratch restore of the newest dump"), ...alarms(ctx, "restore time over the RTO"));
    if (verified.length === 0) b.gap("no database is restore-verified (aws.databases[].verify), so restore times are never measured");
    for (const r of evidence?.restores ?? []) {
        const share = Math.round((r.seconds / rtoSeconds) * 100);
        b.measured(`${evidence?.kind ?? ""} restore of ${r.database}: ${r.seconds.toFixed(1)} s against the RTO of ${formatMinutes(c.objectives.rtoMinutes)} (${share} %)`);
        if (r.seconds > rtoSeconds) b.flag(`the measured restore of ${r.database} took ${r.seconds.toFixed(1)} s, over the RTO of ${rtoSeconds} s`);
    }
    if (evidence !== undefined && evidence.restores.length === 0) b.measured(`the ${evidence.kind} result holds no completed restore`);
    return b.build();
}

function retention(ctx: Ctx): ReportControl {
    const { c } = ctx;
    const b = new ControlBuilder(ctx, "retention", "Retention per tier");
    const tierLifecycles = tierBlobLifecycles(c);
    for (const tier of TIER_NAMES) {
        const t = c.retention[tier];
        const azureTier = tierLifecycles?.[tier];
        b.says(`${tier}: kept ${t.keepDays} days${c.regions !== undefined ? `; storage classes ${tierTimeline(t)}` : ""}${azureTier !== undefined ? `; Azure access tiers ${azureTierTimeline(azureTier)}` : ""}.`);
        b.key(`retention.${tier}.keepDays`, t.keepDays);
        if (t.standardIaAfterDays !== undefined) b.key(`retention.${tier}.standardIaAfterDays`, t.standardIaAfterDays);
        if (t.glacierAfterDays !== undefined) b.key(`retention.${tier}.glacierAfterDays`, t.glacierAfterDays);
        if (t.deepArchiveAfterDays !== undefined) b.key(`retention.${tier}.deepArchiveAfterDays`, t.deepArchiveAfterDays);
    }
    b.says(`Weekly: the first dump of each ${c.retention.weeklyOn}; monthly: the first dump of day ${c.retention.monthlyOn} (UTC).`);
    b.says(`Replaced or deleted object versions are kept ${c.storage.noncurrentVersionExpireDays} days; table exports ${c.storage.exportKeepDays} days.`);
    b.key("retention.weeklyOn", c.retention.weeklyOn)
        .key("retention.monthlyOn", c.retention.monthlyOn)
        .key("storage.noncurrentVersionExpireDays", c.storage.noncurrentVersionExpireDays)
        .key("storage.exportKeepDays", c.storage.exportKeepDays);
    if (c.regions !== undefined) b.enforcedBy(named("BackupBucket", N.backupBucket, "one lifecycle rule per tier tag, noncurrent-version expiry, export expiry"), ...runs(ctx, ["dump"], "tags each dump with its tier"));
    if (tierLifecycles !== undefined) b.enforcedBy(named("GeoRedundantStorage", N.azureFiles, "one lifecycle rule per tier, matched by the blob index tag tier"));
    const vault = c.azure?.backupVault;
    if (vault !== undefined) {
        const r = vaultRetention(c, vault);
        b.says(`Azure Backup vault: a full backup of each server every ${c.retention.weeklyOn} at ${vault.time} UTC, kept ${r.weeklyKeepDays} days; the first of each month ${r.monthlyKeepDays} days${r.yearlyKeepDays !== undefined ? `; the first of each year ${r.yearlyKeepDays} days` : ""}.`);
        if (vault.yearlyKeepDays !== undefined) b.key("azure.backupVault.yearlyKeepDays", vault.yearlyKeepDays);
        b.enforcedBy(named("FlexibleServerVaultBackup", N.azureVault, "backup policy and one backup instance per server"));
    }
    if (awsBackupActive(c)) {
        const cold = c.aws.backup.coldStorageAfterDays;
        b.says(
            `AWS Backup recovery points: ${TIER_NAMES.map((t) => `${t} ${c.retention[t].keepDays} days${cold[t] !== undefined ? ` (cold storage after ${cold[t]})` : ""}`).join(", ")}; the DR copies are kept as long.`,
        );
        for (const t of TIER_NAMES) if (cold[t] !== undefined) b.key(`aws.backup.coldStorageAfterDays.${t}`, cold[t]);
        b.enforcedBy(named("AwsBackupPlan", N.awsBackupPlan, "daily, weekly and monthly rules"));
    }
    (c.azure?.servers ?? []).forEach((s, i) => {
        b.says(`Azure server ${s.name}: automated backups kept ${s.backupRetentionDays} days.`);
        b.key(`azure.servers[${i}].backupRetentionDays`, s.backupRetentionDays);
        b.enforcedBy(named("FlexibleServerBackup", flexibleServerName(s.name)));
    });
    const st = c.azure?.storage;
    if (st !== undefined) {
        b.says(`Azure file backups${tierLifecycles !== undefined ? " (exports)" : ""}: ${azureTierTimeline(st.lifecycle)}.`);
        for (const k of ["coolAfterDays", "coldAfterDays", "archiveAfterDays", "deleteAfterDays"] as const) {
            if (st.lifecycle[k] !== undefined) b.key(`azure.storage.lifecycle.${k}`, st.lifecycle[k]);
        }
        b.enforcedBy(named("GeoRedundantStorage", N.azureFiles, "lifecycle management policy"));
    }
    return b.build();
}

/** Azure access tiers of one retention tier, in words: `Hot day 0 -> Cool day 30 -> delete day 90`. */
function azureTierTimeline(t: BlobTiers): string {
    return [
        "Hot day 0",
        ...(t.coolAfterDays !== undefined ? [`Cool day ${t.coolAfterDays}`] : []),
        ...(t.coldAfterDays !== undefined ? [`Cold day ${t.coldAfterDays}`] : []),
        ...(t.archiveAfterDays !== undefined ? [`Archive day ${t.archiveAfterDays}`] : []),
        `delete day ${t.deleteAfterDays}`,
    ].join(" -> ");
}

function encryptionAtRest(ctx: Ctx): ReportControl {
    const { c } = ctx;
    const b = new ControlBuilder(ctx, "encryption-at-rest", "Encryption at rest");
    const regions = c.regions;
    if (regions !== undefined) awsEncryptionAtRest(b, c, regions);
    b.says("No configuration key turns encryption off.");
    for (const s of c.azure?.servers ?? []) {
        b.says(`Azure server ${s.name}: data and backups encrypted by the service (service-managed keys).`);
        b.enforcedBy(named("FlexibleServerBackup", flexibleServerName(s.name)));
    }
    const kv = c.azure?.keyVault;
    if (c.azure?.storage !== undefined && kv === undefined) {
        b.says("Azure storage account: encrypted by the service (Microsoft-managed keys).");
        b.enforcedBy(named("GeoRedundantStorage", N.azureFiles));
    }
    if (c.azure?.storage !== undefined && kv !== undefined) {
        b.says(
            `Azure storage account: encrypted with a customer-managed RSA ${kv.keySize} key in Key Vault, rotated every ${kv.rotateAfterDays} days (each version expires after ${kv.keyExpiryDays}); the account follows each new key version.`,
            `The Key Vault has purge protection and soft delete (${kv.softDeleteDays} days) and RBAC authorization: only the storage account's own identity may use the key (Key Vault Crypto Service Encryption User on the key).`,
        );
        b.key("azure.keyVault.keySize", kv.keySize).key("azure.keyVault.rotateAfterDays", kv.rotateAfterDays).key("azure.keyVault.keyExpiryDays", kv.keyExpiryDays).key("azure.keyVault.softDeleteDays", kv.softDeleteDays);
        b.enforcedBy(named("BackupKeyVault", N.azureKeys, "vault, key, rotation policy and the key's role assignment"), named("GeoRedundantStorage", N.azureFiles, "customer-managed key"));
    }
    if (c.azure?.backupVault !== undefined) {
        b.says("Azure Backup vault: recovery points encrypted by the service.");
        b.enforcedBy(named("FlexibleServerVaultBackup", N.azureVault));
    }
    return b.build();
}

function awsEncryptionAtRest(b: ControlBuilder, c: StackConfig, regions: NonNullable<StackConfig["regions"]>): void {
    b.says(
        "Dumps, manifests and exports: SSE-KMS with a customer-managed key (automatic yearly rotation), bucket key on; the bucket policy refuses uploads not encrypted with that key.",
        "Alert topic, dead-letter queues and function log groups: encrypted with the same key.",
    );
    b.enforcedBy(named("BackupKey", N.backupKey, `customer-managed multi-Region key with rotation and a replica key in ${regions.dr}`), named("BackupBucket", N.backupBucket, "default SSE-KMS and the KMS-only upload policy"), named("AlertTopic", N.alertTopic));
    if (c.storage.replication) {
        b.says(`DR copies in ${regions.dr}: re-encrypted with the replica key.`);
        b.enforcedBy(named("ReplicaBucket", N.replicaBucket));
    }
    if (managed(c).length > 0) {
        b.says("RDS storage, automated backups, snapshots, Performance Insights and the master-user secret: the customer-managed key (replica key for DR backups).");
        b.says("RDS PostgreSQL log groups (/aws/rds/instance/<identifier>/postgresql and /upgrade): declared before the instance, encrypted with the same key and kept for their configured retention.");
        for (const { db } of managed(c)) b.enforcedBy(named("RdsPostgres", rdsPostgresName(db.name)));
    }
    const unmanaged = c.aws.databases.filter((d) => d.instance === undefined);
    if (unmanaged.length > 0) b.says(`Databases not managed by this stack (${unmanaged.map((d) => d.name).join(", ")}): their storage encryption is set outside it.`);
    if (awsBackupActive(c)) {
        b.says("AWS Backup vaults in both regions: encrypted with the customer-managed key and its replica.");
        b.enforcedBy(named("AwsBackupPlan", N.awsBackupPlan));
    }
}

function encryptionInTransit(ctx: Ctx): ReportControl {
    const { c } = ctx;
    const b = new ControlBuilder(ctx, "encryption-in-transit", "Encryption in transit");
    b.says("No configuration key turns TLS off.");
    if (c.regions !== undefined) {
        b.says(
            "Backup and log buckets: the bucket policy denies every request not made over TLS (aws:SecureTransport).",
            "Alert topic: publishing without TLS is denied.",
            "The functions connect to PostgreSQL with sslmode=require.",
        );
        b.enforcedBy(named("BackupBucket", N.backupBucket, "TLS-only bucket policy"), named("AlertTopic", N.alertTopic, "TLS-only topic policy"), ...runs(ctx, ["dump", "export", "verify"], "DB_SSLMODE=require"));
        if (c.storage.replication) b.enforcedBy(named("ReplicaBucket", N.replicaBucket, "TLS-only bucket policy"));
    }
    if (managed(c).length > 0) {
        b.says("RDS instances: a parameter group with rds.force_ssl = 1 refuses unencrypted connections.");
        for (const { db } of managed(c)) b.enforcedBy(named("RdsPostgres", rdsPostgresName(db.name), "parameter group"));
    }
    for (const s of c.azure?.servers ?? []) {
        b.says(`Azure server ${s.name}: TLS required by the service's default (require_secure_transport on; the stack does not change it).`);
        b.enforcedBy(named("FlexibleServerBackup", flexibleServerName(s.name)));
    }
    if (c.azure?.storage !== undefined) {
        b.says("Azure storage account: HTTPS only, TLS 1.2 at least, no public blob access.");
        b.enforcedBy(named("GeoRedundantStorage", N.azureFiles));
    }
    return b.build();
}

function immutability(ctx: Ctx): ReportControl {
    const { c } = ctx;
    const b = new ControlBuilder(ctx, "immutability", "Immutability");
    if (c.regions !== undefined) awsImmutability(b, ctx);
    const st = c.azure?.storage;
    if (st !== undefined) {
        b.says(`Azure blobs: deleted blobs recoverable for ${st.softDeleteDays} days, deleted containers for ${st.containerSoftDeleteDays} days.`);
        if (st.immutabilityDays !== undefined) {
            b.says(
                `Azure backups container: a time-based immutability policy of ${st.immutabilityDays} days, created unlocked by the stack; locking it is a documented manual step (docs/components.md, "Locking the Azure immutability policy"), and until then an account administrator can shorten or delete the policy.`,
            );
            b.gap(`the Azure immutability policy is unlocked: blobs are not immutable until it is locked (azure.storage.immutabilityDays, manual lock step)`);
        } else if (!st.versionLevelImmutability) {
            b.gap("the Azure backups container has no immutability policy (azure.storage.immutabilityDays or azure.storage.versionLevelImmutability)");
        }
        if (st.versionLevelImmutability) {
            const locked = c.storage.objectLock?.mode === "COMPLIANCE";
            b.says(
                `Azure backups container: version-level immutability; each dump and its manifest carry their own ${locked ? "locked" : "unlocked"} retention policy until the dump's start + its tier's keepDays (${TIER_NAMES.map((t) => `${t} ${c.retention[t].keepDays} days`).join(", ")}); ${
                    locked ? "a locked policy can be extended but not shortened or removed, by anyone" : "an unlocked policy can be shortened or removed by a principal allowed to"
                }.`,
            );
            if (!locked) b.gap("the Azure per-blob immutability policies are unlocked (storage.objectLock.mode GOVERNANCE); COMPLIANCE locks them");
            b.key("azure.storage.versionLevelImmutability", true).key("storage.objectLock.mode", c.storage.objectLock?.mode);
            for (const t of TIER_NAMES) b.key(`retention.${t}.keepDays`, c.retention[t].keepDays);
        }
        b.key("azure.storage.immutabilityDays", st.immutabilityDays).key("azure.storage.softDeleteDays", st.softDeleteDays).key("azure.storage.containerSoftDeleteDays", st.containerSoftDeleteDays);
        b.enforcedBy(named("GeoRedundantStorage", N.azureFiles, "immutability and soft delete"));
    }
    const v = c.azure?.backupVault;
    if (v !== undefined) {
        const state = effectiveVaultImmutability(c, v);
        b.says(`Azure Backup vault: immutability ${state}, soft delete ${v.softDelete} (${v.softDeleteDays} days).`);
        if (state !== "Locked") b.gap(`the Azure Backup vault's immutability is ${state}: it can be turned off (azure.backupVault.immutability Locked cannot)`);
        if (v.softDelete === "Off") b.gap("the Azure Backup vault has no soft delete (azure.backupVault.softDelete)");
        b.key("azure.backupVault.immutability", state).key("azure.backupVault.softDelete", v.softDelete).key("azure.backupVault.softDeleteDays", v.softDeleteDays);
        b.enforcedBy(named("FlexibleServerVaultBackup", N.azureVault, "immutability and soft delete settings"));
    }
    return b.build();
}

function awsImmutability(b: ControlBuilder, ctx: Ctx): void {
    const { c } = ctx;
    const lock = c.storage.objectLock;
    b.says(`Versioning is on; a replaced or deleted version stays recoverable for ${c.storage.noncurrentVersionExpireDays} days.`);
    if (lock?.mode !== undefined && lock.days !== undefined) {
        b.says(
            `S3 Object Lock ${lock.mode}, per tier: each dump object and its manifest carry their own retention in ${lock.mode} mode, retain-until = the dump's start + its tier's keepDays (${TIER_NAMES.map((t) => `${t} ${c.retention[t].keepDays} days`).join(", ")}); ${
                lock.mode === "COMPLIANCE" ? "nobody, the root user included, can delete them or shorten the lock" : "only principals allowed s3:BypassGovernanceRetention can delete them earlier, and no role of this stack is"
            }.`,
            `Every other object (table exports, the configuration record) is locked by the bucket's default retention of ${lock.days} days, the floor for anything written to the bucket.`,
        );
        if (c.storage.replication) b.says(`The DR replica carries the same retention per object version (replication copies it; the replica bucket has Object Lock).`);
    } else {
        b.gap("the backup bucket has no Object Lock: anyone allowed s3:DeleteObjectVersion can remove backups (storage.objectLock)");
    }
    b.says("The dump role may only set a retention on its own prefix (s3:PutObjectRetention, which cannot shorten or lift a lock) and is denied every delete, governance bypass, legal-hold and bucket-configuration action; the export role is denied every delete, retention, legal-hold and bucket-configuration action; the verify role only reads.");
    b.key("storage.objectLock.mode", lock?.mode).key("storage.objectLock.days", lock?.days).key("storage.noncurrentVersionExpireDays", c.storage.noncurrentVersionExpireDays);
    if (lock?.mode !== undefined) for (const t of TIER_NAMES) b.key(`retention.${t}.keepDays`, c.retention[t].keepDays);
    b.enforcedBy(named("BackupBucket", N.backupBucket, "versioning and Object Lock default retention"), ...runs(ctx, ["dump", "export", "verify"], "write-without-delete and read-only roles"));
    if (c.storage.replication) b.enforcedBy(named("ReplicaBucket", N.replicaBucket, "versioning and Object Lock"));
    if (awsBackupActive(c)) {
        const v = c.aws.backup.vaultLock;
        const mode = effectiveVaultLockMode(v.mode, c.environment);
        const bounds = vaultLockBounds(v, Object.fromEntries(TIER_NAMES.map((t) => [t, { keepDays: c.retention[t].keepDays }])) as Record<(typeof TIER_NAMES)[number], { keepDays: number }>);
        b.says(
            `AWS Backup vault lock ${mode} in both regions: recovery points kept ${bounds.minRetentionDays}..${bounds.maxRetentionDays} days; ${
                mode === "COMPLIANCE" ? `the lock becomes unchangeable ${v.changeableForDays} days after it is set` : "privileged users can remove the lock"
            }.`,
        );
        b.key("aws.backup.vaultLock.mode", mode)
            .key("aws.backup.vaultLock.minRetentionDays", bounds.minRetentionDays)
            .key("aws.backup.vaultLock.maxRetentionDays", bounds.maxRetentionDays)
            .key("aws.backup.vaultLock.changeableForDays", v.changeableForDays);
        b.enforcedBy(named("AwsBackupPlan", N.awsBackupPlan, "vault lock on the primary and DR vaults"));
        if (mode !== "COMPLIANCE") b.gap(`the AWS Backup vault lock is ${mode}: privileged users can remove it (aws.backup.vaultLock.mode)`);
    }
}

function geoRedundancy(ctx: Ctx): ReportControl {
    const { c } = ctx;
    const b = new ControlBuilder(ctx, "geo-redundancy", "Geo-redundancy");
    const regions = c.regions;
    if (regions !== undefined) awsGeoRedundancy(b, c, regions);
    (c.azure?.servers ?? []).forEach((s, i) => {
        const geo = effectiveGeoRedundantBackup(c, s);
        b.key(`azure.servers[${i}].geoRedundantBackup`, geo);
        b.enforcedBy(named("FlexibleServerBackup", flexibleServerName(s.name), "geo-redundant backup"));
        if (geo) b.says(`Azure server ${s.name}: backups also kept in the paired region (restore with \`pitr azure --geo\`).`);
        else b.gap(`Azure server ${s.name}: backups are kept in ${c.azure?.location ?? "its region"} only`);
    });
    const st = c.azure?.storage;
    if (st !== undefined) {
        b.key("azure.storage.redundancy", st.redundancy);
        b.enforcedBy(named("GeoRedundantStorage", N.azureFiles));
        if (GEO_REDUNDANCIES.includes(st.redundancy as StorageRedundancy)) b.says(`Azure file backups: ${st.redundancy}, copied to the paired region.`);
        else b.gap(`Azure file backups: ${st.redundancy} keeps no copy outside ${c.azure?.location ?? "the region"}`);
    }
    const v = c.azure?.backupVault;
    if (v !== undefined) {
        b.key("azure.backupVault.redundancy", v.redundancy);
        b.enforcedBy(named("FlexibleServerVaultBackup", N.azureVault));
        if (v.redundancy === "GeoRedundant") b.says("Azure Backup vault: geo-redundant, with cross-region restore from the paired region.");
        else b.gap(`Azure Backup vault: ${v.redundancy} keeps no copy outside ${c.azure?.location ?? "the region"}`);
    }
    return b.build();
}

function awsGeoRedundancy(b: ControlBuilder, c: StackConfig, regions: NonNullable<StackConfig["regions"]>): void {
    b.key("regions.primary", regions.primary).key("regions.dr", regions.dr).key("storage.replication", c.storage.replication);
    if (c.storage.replication) {
        b.says(`Dumps, manifests and exports are replicated from ${regions.primary} to a bucket in ${regions.dr} (delete markers are not replicated).`);
        b.enforcedBy(named("ReplicaBucket", N.replicaBucket, "replication rule and its least-privilege role"));
    } else {
        b.gap(`dumps are kept in ${regions.primary} only (storage.replication is off)`);
    }
    for (const { db, i, instance } of managed(c)) {
        b.key(`aws.databases[${i}].instance.replicateBackupsToDr`, instance.replicateBackupsToDr);
        if (instance.backupRetentionDays > 0 && instance.replicateBackupsToDr) {
            const days = instance.drBackupRetentionDays ?? instance.backupRetentionDays;
            b.says(`RDS ${db.name}: automated backups replicated to ${regions.dr} and kept ${days} days there (restore with \`pitr rds --from-dr\`).`);
            b.key(`aws.databases[${i}].instance.drBackupRetentionDays`, days);
            b.enforcedBy(named("RdsPostgres", rdsPostgresName(db.name), `automated-backup replication to ${regions.dr}`));
        } else {
            b.gap(`RDS ${db.name}: automated backups are not replicated to ${regions.dr}`);
        }
    }
    drCredentials(c).forEach((credentials, i) => {
        b.says(credentials.statement);
        if (credentials.secret === "configured") b.key(`aws.databases[${i}].credentialsSecretArn`, c.aws.databases[i]?.credentialsSecretArn);
    });
    if (awsBackupActive(c)) {
        b.says(`AWS Backup copies every recovery point to the vault in ${regions.dr}.`);
        b.key("aws.backup.enabled", c.aws.backup.enabled);
        b.enforcedBy(named("AwsBackupPlan", N.awsBackupPlan, "copy action to the DR vault"));
    }
}

function pointInTimeRecovery(ctx: Ctx): ReportControl {
    const { c } = ctx;
    const b = new ControlBuilder(ctx, "point-in-time-recovery", "Point-in-time recovery window per database");
    c.aws.databases.forEach((db, i) => {
        if (db.instance === undefined) {
            b.says(`${db.name}: the instance is not managed by this stack; its point-in-time recovery is set outside it (this stack keeps dumps of it).`);
            return;
        }
        const days = db.instance.backupRetentionDays;
        b.key(`aws.databases[${i}].instance.backupRetentionDays`, days);
        b.enforcedBy(named("RdsPostgres", rdsPostgresName(db.name)));
        if (days === 0) {
            b.gap(`${db.name}: RDS automated backups are off, so there is no point-in-time recovery`);
            return;
        }
        const dr = db.instance.replicateBackupsToDr && c.regions !== undefined ? `; in ${c.regions.dr}: the last ${db.instance.drBackupRetentionDays ?? days} days` : "";
        b.says(`${db.name} (RDS): any second of the last ${days} days, up to about ${PITR_RPO_MINUTES} min ago${dr}.`);
    });
    (c.azure?.servers ?? []).forEach((s, i) => {
        b.says(`${s.name} (Azure Flexible Server): any second of the last ${s.backupRetentionDays} days${effectiveGeoRedundantBackup(c, s) ? "; geo-restore in the paired region" : ""}.`);
        b.key(`azure.servers[${i}].backupRetentionDays`, s.backupRetentionDays);
        b.enforcedBy(named("FlexibleServerBackup", flexibleServerName(s.name)));
    });
    if (c.aws.databases.length + (c.azure?.servers.length ?? 0) === 0) b.gap("no database is configured");
    b.says("Restores always go into a new instance or server (`pitr` command; docs/runbook.md).");
    return b.build();
}

function restoreTesting(ctx: Ctx): ReportControl {
    const { c, evidence } = ctx;
    const b = new ControlBuilder(ctx, "restore-testing", "Restore testing cadence");
    const rt = c.aws.backup.restoreTesting;
    const verified = c.aws.databases.filter((d) => d.verify);
    if (verified.length > 0) b.says(`Dumps of ${verified.map((d) => d.name).join(", ")} are restored by every verification run (${cadence(c.schedules.verify)}).`);
    if (awsBackupActive(c)) {
        b.key("aws.backup.restoreTesting.enabled", rt.enabled);
        if (rt.enabled) {
            b.says(
                `AWS Backup restore testing: ${cadence(rt.schedule)}; the newest recovery point of the last ${rt.selectionWindowDays} days is restored into a ${rt.dbInstanceClass ?? "same-class"} instance, validated within ${rt.validationWindowHours} h and deleted; failed restores reach the alert topic.`,
            );
            b.key("aws.backup.restoreTesting.schedule", rt.schedule)
                .key("aws.backup.restoreTesting.selectionWindowDays", rt.selectionWindowDays)
                .key("aws.backup.restoreTesting.validationWindowHours", rt.validationWindowHours);
            if (rt.dbInstanceClass !== undefined) b.key("aws.backup.restoreTesting.dbInstanceClass", rt.dbInstanceClass);
            b.enforcedBy(named("AwsBackupPlan", N.awsBackupPlan, "restore testing plan and selection"));
        } else {
            b.gap("AWS Backup restore testing is off (aws.backup.restoreTesting.enabled)");
        }
    }
    b.key("schedules.verify", c.schedules.verify);
    b.enforcedBy(...runs(ctx, ["verify"], "scratch restore of each verified database's newest dump"));
    b.says("On demand, `npm run drill` runs dump -> export -> verify -> restore end to end; its `--json` output is this report's evidence.");
    const runner = azureRunner(c);
    if (runner !== undefined) {
        b.says(`Azure: the verify job restores the newest dump of ${targetNames(runner)} into a scratch database (${runner.schedules.verify}, cron in UTC), checks every table's row count against the manifest and drops it.`);
        b.key("azure.runner.schedules.verify", runner.schedules.verify);
        b.enforcedBy(containerJobs("verify job per target"));
    }
    if (verified.length === 0 && !(awsBackupActive(c) && rt.enabled) && runner === undefined) {
        b.gap("nothing restores backups on a schedule: no database is verified, AWS Backup restore testing is not active and there is no Azure runner");
    }
    if (evidence !== undefined) {
        const restoreChecks = evidence.checks.filter((ch) => /(^|[./])(restore|rowCounts|content)/.test(ch.name));
        for (const ch of restoreChecks) b.measured(`${ch.name}: ${ch.ok ? "pass" : "FAIL"}, ${ch.detail}`);
    }
    return b.build();
}

function verification(ctx: Ctx): ReportControl {
    const { c, evidence } = ctx;
    const b = new ControlBuilder(ctx, "verification", "Verification cadence");
    const verified = c.aws.databases.filter((d) => d.verify);
    const s = c.functions.sizeBounds;
    if (verified.length > 0) {
        b.says(
            `The verify function runs ${cadence(c.schedules.verify)}, and checks for ${verified.map((d) => d.name).join(", ")}: the newest backup is younger than ${formatMinutes(backupMaxAgeMinutes(c))} (${backupMaxAgeMinutes(c) === c.objectives.rpoMinutes ? "the RPO" : "the longest gap between dumps: point-in-time recovery carries the RPO"}), its SHA-256 matches the manifest, its size is within ${s.minRatio}..${s.maxRatio} x the median of the previous ${s.window}, it restores into a scratch database with every table's row count equal to the manifest, within the RTO, and the scratch database is dropped.`,
        );
    }
    const runner = azureRunner(c);
    for (const server of c.azure?.servers ?? []) {
        const target = runner?.targets.find((t) => t.server === server.name);
        b.says(
            runner !== undefined && target !== undefined
                ? `Azure server ${server.name}: the verify job of ContainerJobs "${N.azureRunner}" (${runner.schedules.verify}, cron in UTC) restores the newest dump of ${target.databaseName} into a scratch database and checks its age (under ${runner.maxBackupAgeHours} h), SHA-256, size and row counts; it also checks the server's own automated backups (the newest snapshot's age and the point-in-time restore window) through Azure Resource Manager (AZURE_SERVERS), as the runner's managed identity, which holds Reader on the resource group ${c.azure?.resourceGroupName ?? ""}.`
                : `Azure server ${server.name}: the age of its automated backups is not checked by the stack (no verification runs for Azure servers); the service takes and keeps them.`,
        );
    }
    if (scheduledRuns(c, ctx.scope).length > 0) b.says("Every check is a CloudWatch metric; a failed check raises the verification-failed alarm.");
    if (runner !== undefined) {
        b.says(`Azure runner alerts: ${runnerAlerts(runner)}.`);
        b.key("azure.runner.schedules.verify", runner.schedules.verify).key("azure.runner.maxBackupAgeHours", runner.maxBackupAgeHours);
        b.enforcedBy(containerJobs("verify job per target with Reader on the resource group; failed-job, missing-success and failed-execution alerts"));
    }
    b.key("schedules.verify", c.schedules.verify)
        .key("functions.sizeBounds.minRatio", s.minRatio)
        .key("functions.sizeBounds.maxRatio", s.maxRatio)
        .key("functions.sizeBounds.window", s.window);
    c.aws.databases.forEach((db, i) => b.key(`aws.databases[${i}].verify`, db.verify));
    if (c.functions.verification.credentialsSecretArn !== undefined) b.key("functions.verification.credentialsSecretArn", c.functions.verification.credentialsSecretArn);
    b.enforcedBy(...runs(ctx, ["verify"], "read-only role, scheduled by EventBridge Scheduler"), ...alarms(ctx, "verification failed, size anomaly"));
    const unverified = c.aws.databases.filter((d) => !d.verify);
    if (unverified.length > 0) b.gap(`dumps of ${unverified.map((d) => d.name).join(", ")} are not verified (aws.databases[].verify is false)`);
    if (evidence !== undefined) {
        const passed = evidence.checks.filter((ch) => ch.ok).length;
        b.measured(`${evidence.kind}${evidence.ranAt === undefined ? "" : ` of ${evidence.ranAt}`}: ${passed} of ${evidence.checks.length} checks passed`);
        for (const ch of evidence.checks.filter((x) => !x.ok)) b.measured(`FAILED ${ch.name}: ${ch.detail}`);
    }
    return b.build();
}

function alerting(ctx: Ctx): ReportControl {
    const { c } = ctx;
    const b = new ControlBuilder(ctx, "alerting", "Alerting recipients");
    const emails = c.alerts.emails;
    const webhooks = c.alerts.webhookUrls.length;
    b.says(`${emails.length} email recipient(s)${emails.length > 0 ? `: ${emails.join(", ")}` : ""}; ${webhooks} webhook(s) (their addresses are secrets and not shown).`);
    b.key("alerts.emails", emails).key("alerts.webhookUrls", `${webhooks} (secret)`);
    if (c.regions !== undefined) {
        b.says(
            "Alarms notify on ALARM and on OK: backup missing or too old (RPO), dump failed, export failed, verification failed, size anomaly, restore over the RTO, RDS free storage (below 20 % of a fixed allocation; with storage autoscaling, forecast to run out within 24 h at the rate it shrank over 3 hours, since the current allocation is not a CloudWatch metric), function errors, duration near the timeout, dead letters.",
        );
        if (c.aws.databases.some((db) => db.runner === "fargate")) {
            b.says("Fargate tasks that stop without succeeding (failed to start, out-of-memory kill, exit code not 0, stopped by hand) raise the task-failed alarm; runs the scheduler could not start raise the dead-letters alarm.");
        }
        b.enforcedBy(named("AlertTopic", N.alertTopic, "KMS-encrypted SNS topic with the email and webhook subscriptions"), ...alarms(ctx), ...dashboard(ctx));
    }
    if (awsBackupActive(c)) {
        b.says("AWS Backup vault events (backup, copy and restore jobs) go to a second, job topic whose email and webhook subscriptions keep only the jobs that did not complete.");
        b.enforcedBy(named("AwsBackupPlan", N.awsBackupPlan, "vault notifications"));
    }
    if (c.azure !== undefined) {
        b.says("Azure: an action group with the same recipients; alerts on backup storage used, storage percent, server availability and storage account capacity.");
        b.enforcedBy(named("AzureBackupAlerts", N.azureAlerts));
    }
    const runner = azureRunner(c);
    if (runner !== undefined) {
        b.says(`Azure runner, the counterparts of the CloudWatch alarms, log search alerts to the same action group: ${runnerAlerts(runner)}.`);
        b.key("azure.runner.maxBackupAgeHours", runner.maxBackupAgeHours);
        b.enforcedBy(containerJobs("failed-job, missing-success and failed-execution alerts"));
    }
    if (c.azure?.backupVault !== undefined) {
        b.says("Azure Backup vault: every failed backup or restore job raises an Azure Monitor alert (built-in alerts for all job failures).");
        b.enforcedBy(named("FlexibleServerVaultBackup", N.azureVault, "monitoring settings"));
    }
    if (emails.length + webhooks === 0) b.gap("no recipients: alarms fire but reach nobody (alerts.emails, alerts.webhookUrls)");
    return b.build();
}

function leastPrivilege(ctx: Ctx): ReportControl {
    const { c } = ctx;
    const b = new ControlBuilder(ctx, "least-privilege", "Least privilege");
    b.says("Secrets in the stack file (webhook URLs) must be Pulumi secrets; validation refuses plain text.");
    if (c.regions !== undefined) {
        b.says(
            "One role per function: dump may write objects under its prefix and set a retention there (s3:PutObjectRetention, which cannot shorten or lift a lock), and is denied every delete, governance bypass, legal-hold and bucket-configuration action; export may write under its prefix and is denied every delete, retention, legal-hold and bucket-configuration action; verify may only read.",
            "The bucket policy refuses requests without TLS and uploads not encrypted with the backup key; the key policy lets this account's IAM policies grant use of the key and lets the named AWS services use it only for this account's topics and log groups.",
            "Credentials are read from Secrets Manager at run time; the RDS master password is generated and kept by RDS in Secrets Manager, never in configuration or outputs.",
        );
        b.enforcedBy(...runs(ctx, ["dump", "export", "verify"], "per-function roles"), named("BackupBucket", N.backupBucket, "bucket policy"), named("BackupKey", N.backupKey, "key policy"));
        if (c.storage.replication) {
            b.says("The replication role may only read the source objects and replicate them into the DR bucket.");
            b.enforcedBy(named("ReplicaBucket", N.replicaBucket, "replication role"));
        }
    }
    if (c.azure?.keyVault !== undefined) {
        b.says("Azure Key Vault: RBAC authorization only; the storage account's identity may only wrap and unwrap with its key; the database credentials are Key Vault secrets, never in configuration or outputs (only their URIs are).");
        b.enforcedBy(named("BackupKeyVault", N.azureKeys));
    }
    if (c.azure?.backupVault !== undefined) {
        b.says("Azure Backup vault identity: PostgreSQL Flexible Server Long Term Retention Backup Role on each server and Reader on its resource group, nothing else.");
        b.enforcedBy(named("FlexibleServerVaultBackup", N.azureVault, "role assignments"));
    }
    c.aws.databases.forEach((db, i) => {
        if (db.credentialsSecretArn !== undefined) b.key(`aws.databases[${i}].credentialsSecretArn`, db.credentialsSecretArn);
    });
    if (c.functions.verification.credentialsSecretArn !== undefined) b.key("functions.verification.credentialsSecretArn", c.functions.verification.credentialsSecretArn);
    const st = c.azure?.storage;
    if (st !== undefined) {
        b.key("azure.storage.allowSharedKeyAccess", st.allowSharedKeyAccess);
        b.enforcedBy(named("GeoRedundantStorage", N.azureFiles));
        if (st.allowSharedKeyAccess) b.gap("the Azure storage account accepts account keys and SAS tokens (azure.storage.allowSharedKeyAccess)");
        else b.says("Azure storage: account keys and SAS tokens are off; access only through Microsoft Entra ID.");
    }
    (c.azure?.servers ?? []).forEach((s, i) => {
        b.key(`azure.servers[${i}].authentication.password`, s.authentication.password);
        b.enforcedBy(named("FlexibleServerBackup", flexibleServerName(s.name)));
        b.says(
            s.authentication.password
                ? `Azure server ${s.name}: password login for ${s.administratorLogin} with a generated password kept as a Pulumi secret${s.authentication.entraAdmin !== undefined ? ", and a Microsoft Entra administrator" : ""}.`
                : `Azure server ${s.name}: Microsoft Entra authentication only.`,
        );
    });
    return b.build();
}

// ---------------------------------------------------------------------------------------------
// Values

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
