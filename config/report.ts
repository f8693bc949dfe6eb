import { effectiveVaultLockMode, vaultLockBounds } from "../components/aws/documents/awsBackup";
import { GEO_REDUNDANCIES, type StorageRedundancy } from "../components/azure/documents/lifecycle";
import { formatFinding, type Finding } from "./findings";
import { isRecord, type RawStackConfig } from "./load";
import { effectiveGeoRedundantBackup } from "./rules/azure";
import { backupMaxAgeMinutes } from "./rules/functions";
import { PITR_RPO_MINUTES, pitrMeetsRpo, tierTimeline } from "./rules/foundation";
import { CONFIG_NAMESPACE, TIER_NAMES } from "./schema";
import { ScheduleError, formatMinutes, longestGapMinutes, parseSchedule } from "./schedule";
import type { StackConfig } from "./validate";

/**
 * The audit report: control by control, what the stack guarantees, which configuration keys
 * set it (with their values, and whether the stack file sets them or the default applies) and
 * which components enforce it; validation warnings; and, given a drill or verify result, the
 * measured figures against the objectives. A pure function of its inputs: the same inputs give
 * the same report, byte for byte.
 */

/** `in place`: configured as the control asks; `gap`: a part is missing or off; `flagged`: evidence contradicts it. */
export type ControlStatus = "in place" | "gap" | "flagged";

export type ControlId =
    | "rpo"
    | "rto"
    | "retention"
    | "encryption-at-rest"
    | "encryption-in-transit"
    | "immutability"
    | "geo-redundancy"
    | "point-in-time-recovery"
    | "restore-testing"
    | "verification"
    | "alerting"
    | "least-privilege";

/** A configuration key below the `pg-backup-stack:` namespace and the value in effect. */
export interface ConfigKey {
    readonly path: string;
    readonly value: string;
    /** `set`: written in the stack file; `default`: not written, the default applies. */
    readonly origin: "set" | "default";
}

export interface ReportControl {
    readonly id: ControlId;
    readonly title: string;
    readonly status: ControlStatus;
    /** What the stack promises, one statement each. */
    readonly guarantees: readonly string[];
    /** Why the status is not `in place`. */
    readonly findings: readonly string[];
    readonly keys: readonly ConfigKey[];
    /** Components (and their logical names) that enforce the control. */
    readonly resources: readonly string[];
    /** Measured figures from the evidence. */
    readonly evidence: readonly string[];
}

export interface EvidenceCheck {
    /** `database/check` for verify results, the check's name for a drill. */
    readonly name: string;
    readonly ok: boolean;
    readonly detail: string;
}

/** What a drill (`npm run drill -- --json`) or a verify run measured. */
export interface Evidence {
    readonly kind: "drill" | "verify";
    /** The file it was read from, as given. */
    readonly source: string;
    readonly ok: boolean;
    /** When it ran (verify results carry this; drill results do not). */
    readonly ranAt?: string;
    readonly restores: readonly { readonly database: string; readonly seconds: number }[];
    readonly checks: readonly EvidenceCheck[];
}

export interface AuditReport {
    readonly source: string;
    readonly environment: string;
    readonly namespace: string;
    readonly controls: readonly ReportControl[];
    /** Validation warnings, one formatted line each. */
    readonly warnings: readonly string[];
    readonly evidence?: Omit<Evidence, "checks" | "restores"> & { readonly passed: number; readonly total: number };
}

export class EvidenceError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "EvidenceError";
    }
}

export interface ReportInput {
    readonly config: StackConfig;
    /** The stack file as read: tells keys written there from defaults. */
    readonly raw: RawStackConfig;
    readonly findings: readonly Finding[];
    readonly evidence?: Evidence;
}

/** Builds the report of a valid configuration. */
export function buildReport(input: ReportInput): AuditReport {
    const ctx: Ctx = { c: input.config, raw: input.raw, evidence: input.evidence };
    const controls = [rpo, rto, retention, encryptionAtRest, encryptionInTransit, immutability, geoRedundancy, pointInTimeRecovery, restoreTesting, verification, alerting, leastPrivilege].map(
        (build) => build(ctx),
    );
    const e = input.evidence;
    return {
        source: input.raw.source,
        environment: input.config.environment,
        namespace: CONFIG_NAMESPACE,
        controls,
        warnings: input.findings.filter((f) => f.severity === "warning").map(formatFinding),
        ...(e === undefined
            ? {}
            : {
                  evidence: {
                      kind: e.kind,
                      source: e.source,
                      ok: e.ok,
                      ...(e.ranAt === undefined ? {} : { ranAt: e.ranAt }),
                      passed: e.checks.filter((c) => c.ok).length,
                      total: e.checks.length,
                  },
              }),
    };
}

// ---------------------------------------------------------------------------------------------
// Controls

interface Ctx {
    readonly c: StackConfig;
    readonly raw: RawStackConfig;
    readonly evidence: Evidence | undefined;
}

type Database = StackConfig["aws"]["databases"][number];

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

    key(path: string, value: unknown): this {
        this.keys.push({ path, value: showValue(value), origin: rawValueAt(this.ctx.raw.values, path) === undefined ? "default" : "set" });
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

    build(): ReportControl {
        return {
            id: this.id,
            title: this.title,
            status: this.status,
            guarantees: this.guarantees,
            findings: this.findings,
            keys: this.keys,
            resources: this.resources,
            evidence: this.evidence,
        };
    }
}

function managed(c: StackConfig): { db: Database; i: number; instance: NonNullable<Database["instance"]> }[] {
    return c.aws.databases.flatMap((db, i) => (db.instance === undefined ? [] : [{ db, i, instance: db.instance }]));
}

function awsBackupActive(c: StackConfig): boolean {
    return c.aws.backup.enabled && managed(c).length > 0;
}

function cadence(expression: string): string {
    try {
        return `${expression}, at most ${formatMinutes(longestGapMinutes(parseSchedule(expression)))} apart`;
    } catch (err) {
        if (err instanceof ScheduleError) return expression;
        throw err;
    }
}

function cadenceMinutes(expression: string): number | undefined {
    try {
        return longestGapMinutes(parseSchedule(expression));
    } catch (err) {
        if (err instanceof ScheduleError) return undefined;
        throw err;
    }
}

function rpo(ctx: Ctx): ReportControl {
    const { c } = ctx;
    const b = new ControlBuilder(ctx, "rpo", "Recovery point objective (RPO)");
    const gap = cadenceMinutes(c.schedules.dump);
    const viaPitr = pitrMeetsRpo(c);
    b.says(`At most ${formatMinutes(c.objectives.rpoMinutes)} of committed data may be lost.`);
    b.says(`Logical dumps run on ${cadence(c.schedules.dump)}${gap !== undefined && gap > c.objectives.rpoMinutes ? " (longer than the RPO)" : ""}.`);
    if (viaPitr) {
        b.says(`Point-in-time recovery covers every database (transaction logs archived about every ${PITR_RPO_MINUTES} min), so the RPO also holds between dumps.`);
    }
    const maxAge = backupMaxAgeMinutes(c);
    b.says(
        `A database whose newest dump is older than ${formatMinutes(maxAge)}${maxAge === c.objectives.rpoMinutes ? " (the RPO)" : " (the longest gap between dumps, as point-in-time recovery carries the RPO)"}, or that reports no dump at all, raises the backup-age / backup-missing alarm.`,
    );
    b.key("objectives.rpoMinutes", c.objectives.rpoMinutes).key("schedules.dump", c.schedules.dump);
    for (const { i, instance } of managed(c)) b.key(`aws.databases[${i}].instance.backupRetentionDays`, instance.backupRetentionDays);
    (c.azure?.servers ?? []).forEach((s, i) => b.key(`azure.servers[${i}].backupRetentionDays`, s.backupRetentionDays));
    b.enforcedBy("BackupFunction (dump): runs pg_dump on the schedule; a dump without its manifest never counts", "BackupAlarms: backup missing and backup age");
    for (const { db } of managed(c)) b.enforcedBy(`RdsPostgres "${db.name}": automated backups and point-in-time recovery`);
    for (const s of c.azure?.servers ?? []) b.enforcedBy(`FlexibleServerBackup "${s.name}": continuous backups and point-in-time restore`);
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
    b.enforcedBy("BackupFunction (verify): timed scratch restore of the newest dump", "BackupAlarms: restore time over the RTO");
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
    for (const tier of TIER_NAMES) {
        const t = c.retention[tier];
        b.says(`${tier}: kept ${t.keepDays} days; storage classes ${tierTimeline(t)}.`);
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
    b.enforcedBy(`BackupBucket "backups": one lifecycle rule per tier tag, noncurrent-version expiry, export expiry`, "BackupFunction (dump): tags each dump with its tier");
    if (awsBackupActive(c)) {
        const cold = c.aws.backup.coldStorageAfterDays;
        b.says(
            `AWS Backup recovery points: ${TIER_NAMES.map((t) => `${t} ${c.retention[t].keepDays} days${cold[t] !== undefined ? ` (cold storage after ${cold[t]})` : ""}`).join(", ")}; the DR copies are kept as long.`,
        );
        for (const t of TIER_NAMES) if (cold[t] !== undefined) b.key(`aws.backup.coldStorageAfterDays.${t}`, cold[t]);
        b.enforcedBy(`AwsBackupPlan "rds": daily, weekly and monthly rules`);
    }
    (c.azure?.servers ?? []).forEach((s, i) => {
        b.says(`Azure server ${s.name}: automated backups kept ${s.backupRetentionDays} days.`);
        b.key(`azure.servers[${i}].backupRetentionDays`, s.backupRetentionDays);
        b.enforcedBy(`FlexibleServerBackup "${s.name}"`);
    });
    const st = c.azure?.storage;
    if (st !== undefined) {
        const steps = [
            "Hot day 0",
            ...(st.lifecycle.coolAfterDays !== undefined ? [`Cool day ${st.lifecycle.coolAfterDays}`] : []),
            ...(st.lifecycle.coldAfterDays !== undefined ? [`Cold day ${st.lifecycle.coldAfterDays}`] : []),
            ...(st.lifecycle.archiveAfterDays !== undefined ? [`Archive day ${st.lifecycle.archiveAfterDays}`] : []),
            `delete day ${st.lifecycle.deleteAfterDays}`,
        ];
        b.says(`Azure file backups: ${steps.join(" -> ")}.`);
        for (const k of ["coolAfterDays", "coldAfterDays", "archiveAfterDays", "deleteAfterDays"] as const) {
            if (st.lifecycle[k] !== undefined) b.key(`azure.storage.lifecycle.${k}`, st.lifecycle[k]);
        }
        b.enforcedBy(`GeoRedundantStorage "azure-files": lifecycle management policy`);
    }
    return b.build();
}

function encryptionAtRest(ctx: Ctx): ReportControl {
    const { c } = ctx;
    const b = new ControlBuilder(ctx, "encryption-at-rest", "Encryption at rest");
    b.says(
        "Dumps, manifests and exports: SSE-KMS with a customer-managed key (automatic yearly rotation), bucket key on; the bucket policy refuses uploads not encrypted with that key.",
        "Alert topic, dead-letter queues and function log groups: encrypted with the same key.",
        "No configuration key turns encryption off.",
    );
    b.enforcedBy(`BackupKey "backups": customer-managed multi-Region key with rotation and a replica key in ${c.regions.dr}`, `BackupBucket "backups": default SSE-KMS and the KMS-only upload policy`, `AlertTopic "alerts"`);
    if (c.storage.replication) {
        b.says(`DR copies in ${c.regions.dr}: re-encrypted with the replica key.`);
        b.enforcedBy(`ReplicaBucket "backups-dr"`);
    }
    if (managed(c).length > 0) {
        b.says("RDS storage, automated backups, snapshots, Performance Insights and the master-user secret: the customer-managed key (replica key for DR backups).");
        for (const { db } of managed(c)) b.enforcedBy(`RdsPostgres "${db.name}"`);
    }
    const unmanaged = c.aws.databases.filter((d) => d.instance === undefined);
    if (unmanaged.length > 0) b.says(`Databases not managed by this stack (${unmanaged.map((d) => d.name).join(", ")}): their storage encryption is set outside it.`);
    if (awsBackupActive(c)) {
        b.says("AWS Backup vaults in both regions: encrypted with the customer-managed key and its replica.");
        b.enforcedBy(`AwsBackupPlan "rds"`);
    }
    for (const s of c.azure?.servers ?? []) {
        b.says(`Azure server ${s.name}: data and backups encrypted by the service (service-managed keys).`);
        b.enforcedBy(`FlexibleServerBackup "${s.name}"`);
    }
    if (c.azure?.storage !== undefined) {
        b.says("Azure storage account: encrypted by the service (Microsoft-managed keys).");
        b.enforcedBy(`GeoRedundantStorage "azure-files"`);
    }
    return b.build();
}

function encryptionInTransit(ctx: Ctx): ReportControl {
    const { c } = ctx;
    const b = new ControlBuilder(ctx, "encryption-in-transit", "Encryption in transit");
    b.says(
        "Backup and log buckets: the bucket policy denies every request not made over TLS (aws:SecureTransport).",
        "Alert topic: publishing without TLS is denied.",
        "The functions connect to PostgreSQL with sslmode=require.",
        "No configuration key turns TLS off.",
    );
    b.enforcedBy(`BackupBucket "backups": TLS-only bucket policy`, `AlertTopic "alerts": TLS-only topic policy`, "BackupFunction: DB_SSLMODE=require");
    if (c.storage.replication) b.enforcedBy(`ReplicaBucket "backups-dr": TLS-only bucket policy`);
    if (managed(c).length > 0) {
        b.says("RDS instances: a parameter group with rds.force_ssl = 1 refuses unencrypted connections.");
        for (const { db } of managed(c)) b.enforcedBy(`RdsPostgres "${db.name}": parameter group`);
    }
    for (const s of c.azure?.servers ?? []) {
        b.says(`Azure server ${s.name}: TLS required by the service's default (require_secure_transport on; the stack does not change it).`);
        b.enforcedBy(`FlexibleServerBackup "${s.name}"`);
    }
    if (c.azure?.storage !== undefined) {
        b.says("Azure storage account: HTTPS only, TLS 1.2 at least, no public blob access.");
        b.enforcedBy(`GeoRedundantStorage "azure-files"`);
    }
    return b.build();
}

function immutability(ctx: Ctx): ReportControl {
    const { c } = ctx;
    const b = new ControlBuilder(ctx, "immutability", "Immutability");
    const lock = c.storage.objectLock;
    b.says(`Versioning is on; a replaced or deleted version stays recoverable for ${c.storage.noncurrentVersionExpireDays} days.`);
    if (lock?.mode !== undefined && lock.days !== undefined) {
        b.says(
            `S3 Object Lock ${lock.mode}: every dump and manifest is locked for ${lock.days} days after it is written; ${
                lock.mode === "COMPLIANCE" ? "nobody, the root user included, can delete it or shorten the lock" : "only principals allowed s3:BypassGovernanceRetention can delete it earlier"
            }.`,
        );
        if (c.storage.replication) b.says(`The DR replica carries the same Object Lock.`);
    } else {
        b.gap("the backup bucket has no Object Lock: anyone allowed s3:DeleteObjectVersion can remove backups (storage.objectLock)");
    }
    b.says("The dump and export roles are denied every delete, retention, legal-hold and bucket-configuration action; the verify role only reads.");
    b.key("storage.objectLock.mode", lock?.mode).key("storage.objectLock.days", lock?.days).key("storage.noncurrentVersionExpireDays", c.storage.noncurrentVersionExpireDays);
    b.enforcedBy(`BackupBucket "backups": versioning and Object Lock default retention`, "BackupFunction: write-without-delete and read-only roles");
    if (c.storage.replication) b.enforcedBy(`ReplicaBucket "backups-dr": versioning and Object Lock`);
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
        b.enforcedBy(`AwsBackupPlan "rds": vault lock on the primary and DR vaults`);
        if (mode !== "COMPLIANCE") b.gap(`the AWS Backup vault lock is ${mode}: privileged users can remove it (aws.backup.vaultLock.mode)`);
    }
    const st = c.azure?.storage;
    if (st !== undefined) {
        b.says(`Azure blobs: deleted blobs recoverable for ${st.softDeleteDays} days, deleted containers for ${st.containerSoftDeleteDays} days.`);
        if (st.immutabilityDays !== undefined) b.says(`Azure backups container: time-based immutability of ${st.immutabilityDays} days.`);
        else b.gap("the Azure backups container has no immutability policy (azure.storage.immutabilityDays)");
        b.key("azure.storage.immutabilityDays", st.immutabilityDays).key("azure.storage.softDeleteDays", st.softDeleteDays).key("azure.storage.containerSoftDeleteDays", st.containerSoftDeleteDays);
        b.enforcedBy(`GeoRedundantStorage "azure-files": immutability policy and soft delete`);
    }
    return b.build();
}

function geoRedundancy(ctx: Ctx): ReportControl {
    const { c } = ctx;
    const b = new ControlBuilder(ctx, "geo-redundancy", "Geo-redundancy");
    b.key("regions.primary", c.regions.primary).key("regions.dr", c.regions.dr).key("storage.replication", c.storage.replication);
    if (c.storage.replication) {
        b.says(`Dumps, manifests and exports are replicated from ${c.regions.primary} to a bucket in ${c.regions.dr} (delete markers are not replicated).`);
        b.enforcedBy(`ReplicaBucket "backups-dr": replication rule and its least-privilege role`);
    } else {
        b.gap(`dumps are kept in ${c.regions.primary} only (storage.replication is off)`);
    }
    for (const { db, i, instance } of managed(c)) {
        b.key(`aws.databases[${i}].instance.replicateBackupsToDr`, instance.replicateBackupsToDr);
        if (instance.backupRetentionDays > 0 && instance.replicateBackupsToDr) {
            const days = instance.drBackupRetentionDays ?? instance.backupRetentionDays;
            b.says(`RDS ${db.name}: automated backups replicated to ${c.regions.dr} and kept ${days} days there (restore with \`pitr rds --from-dr\`).`);
            b.key(`aws.databases[${i}].instance.drBackupRetentionDays`, days);
            b.enforcedBy(`RdsPostgres "${db.name}": automated-backup replication to ${c.regions.dr}`);
        } else {
            b.gap(`RDS ${db.name}: automated backups are not replicated to ${c.regions.dr}`);
        }
    }
    if (awsBackupActive(c)) {
        b.says(`AWS Backup copies every recovery point to the vault in ${c.regions.dr}.`);
        b.key("aws.backup.enabled", c.aws.backup.enabled);
        b.enforcedBy(`AwsBackupPlan "rds": copy action to the DR vault`);
    }
    (c.azure?.servers ?? []).forEach((s, i) => {
        const geo = effectiveGeoRedundantBackup(c, s);
        b.key(`azure.servers[${i}].geoRedundantBackup`, geo);
        b.enforcedBy(`FlexibleServerBackup "${s.name}": geo-redundant backup`);
        if (geo) b.says(`Azure server ${s.name}: backups also kept in the paired region (restore with \`pitr azure --geo\`).`);
        else b.gap(`Azure server ${s.name}: backups are kept in ${c.azure?.location ?? "its region"} only`);
    });
    const st = c.azure?.storage;
    if (st !== undefined) {
        b.key("azure.storage.redundancy", st.redundancy);
        b.enforcedBy(`GeoRedundantStorage "azure-files"`);
        if (GEO_REDUNDANCIES.includes(st.redundancy as StorageRedundancy)) b.says(`Azure file backups: ${st.redundancy}, copied to the paired region.`);
        else b.gap(`Azure file backups: ${st.redundancy} keeps no copy outside ${c.azure?.location ?? "the region"}`);
    }
    return b.build();
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
        b.enforcedBy(`RdsPostgres "${db.name}"`);
        if (days === 0) {
            b.gap(`${db.name}: RDS automated backups are off, so there is no point-in-time recovery`);
            return;
        }
        const dr = db.instance.replicateBackupsToDr ? `; in ${c.regions.dr}: the last ${db.instance.drBackupRetentionDays ?? days} days` : "";
        b.says(`${db.name} (RDS): any second of the last ${days} days, up to about ${PITR_RPO_MINUTES} min ago${dr}.`);
    });
    (c.azure?.servers ?? []).forEach((s, i) => {
        b.says(`${s.name} (Azure Flexible Server): any second of the last ${s.backupRetentionDays} days${effectiveGeoRedundantBackup(c, s) ? "; geo-restore in the paired region" : ""}.`);
        b.key(`azure.servers[${i}].backupRetentionDays`, s.backupRetentionDays);
        b.enforcedBy(`FlexibleServerBackup "${s.name}"`);
    });
    if (c.aws.databases.length + (c.azure?.servers.length ?? 0) === 0) b.gap("no database is configured");
    b.says("Restores always go into a new instance or server (`pitr` command; the README's runbook).");
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
            b.enforcedBy(`AwsBackupPlan "rds": restore testing plan and selection`);
        } else {
            b.gap("AWS Backup restore testing is off (aws.backup.restoreTesting.enabled)");
        }
    }
    b.key("schedules.verify", c.schedules.verify);
    b.enforcedBy("BackupFunction (verify): scratch restore of each verified database's newest dump");
    b.says("On demand, `npm run drill` runs dump -> export -> verify -> restore end to end; its `--json` output is this report's evidence.");
    if (verified.length === 0 && !(awsBackupActive(c) && rt.enabled)) b.gap("nothing restores backups on a schedule: no database is verified and AWS Backup restore testing is not active");
    if (evidence !== undefined) {
        const restoreChecks = evidence.checks.filter((ch) => /(^|[./])(restore|rowCounts|content)/.test(ch.name));
        for (const ch of restoreChecks) b.measured(`${ch.name}: ${ch.ok ? "pass" : "FAIL"}, ${ch.detail}`);
        const failed = restoreChecks.filter((ch) => !ch.ok);
        if (failed.length > 0) b.flag(`the ${evidence.kind} restore failed: ${failed.map((ch) => ch.name).join(", ")}`);
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
            `The verify function runs on ${cadence(c.schedules.verify)}, and checks for ${verified.map((d) => d.name).join(", ")}: the newest backup is younger than the RPO, its SHA-256 matches the manifest, its size is within ${s.minRatio}..${s.maxRatio} x the median of the previous ${s.window}, it restores into a scratch database with every table's row count equal to the manifest, within the RTO, and the scratch database is dropped.`,
        );
    }
    for (const server of c.azure?.servers ?? []) b.says(`Azure server ${server.name}: its newest automated backup is checked to be younger than the RPO.`);
    b.says("Every check is a CloudWatch metric; a failed check raises the verification-failed alarm.");
    b.key("schedules.verify", c.schedules.verify)
        .key("functions.sizeBounds.minRatio", s.minRatio)
        .key("functions.sizeBounds.maxRatio", s.maxRatio)
        .key("functions.sizeBounds.window", s.window);
    c.aws.databases.forEach((db, i) => b.key(`aws.databases[${i}].verify`, db.verify));
    if (c.functions.verification.credentialsSecretArn !== undefined) b.key("functions.verification.credentialsSecretArn", c.functions.verification.credentialsSecretArn);
    b.enforcedBy("BackupFunction (verify): read-only role, scheduled by EventBridge Scheduler", "BackupAlarms: verification failed, size anomaly");
    const unverified = c.aws.databases.filter((d) => !d.verify);
    if (unverified.length > 0) b.gap(`dumps of ${unverified.map((d) => d.name).join(", ")} are not verified (aws.databases[].verify is false)`);
    if (evidence !== undefined) {
        const passed = evidence.checks.filter((ch) => ch.ok).length;
        b.measured(`${evidence.kind}${evidence.ranAt === undefined ? "" : ` of ${evidence.ranAt}`}: ${passed} of ${evidence.checks.length} checks passed`);
        const failed = evidence.checks.filter((ch) => !ch.ok);
        for (const ch of failed) b.measured(`FAILED ${ch.name}: ${ch.detail}`);
        if (failed.length > 0) b.flag(`${failed.length} check(s) of the ${evidence.kind} failed: ${failed.map((ch) => ch.name).join(", ")}`);
    }
    return b.build();
}

function alerting(ctx: Ctx): ReportControl {
    const { c } = ctx;
    const b = new ControlBuilder(ctx, "alerting", "Alerting recipients");
    const emails = c.alerts.emails;
    const webhooks = c.alerts.webhookUrls.length;
    b.says(`${emails.length} email recipient(s)${emails.length > 0 ? `: ${emails.join(", ")}` : ""}; ${webhooks} webhook(s) (their addresses are secrets and not shown).`);
    b.says(
        "Alarms notify on ALARM and on OK: backup missing or too old (RPO), dump failed, export failed, verification failed, size anomaly, restore over the RTO, RDS free storage below 20 %, function errors, duration near the timeout, dead letters.",
    );
    b.key("alerts.emails", emails).key("alerts.webhookUrls", `${webhooks} (secret)`);
    b.enforcedBy(`AlertTopic "alerts": KMS-encrypted SNS topic with the email and webhook subscriptions`, "BackupAlarms", "BackupDashboard");
    if (awsBackupActive(c)) {
        b.says("AWS Backup vault events (failed or aborted jobs, failed copies, restore results) go to the same topic.");
        b.enforcedBy(`AwsBackupPlan "rds": vault notifications`);
    }
    if (c.azure !== undefined) {
        b.says("Azure: an action group with the same recipients; alerts on backup storage used, storage percent, server availability and storage account capacity.");
        b.enforcedBy(`AzureBackupAlerts "azure-alerts"`);
    }
    if (emails.length + webhooks === 0) b.gap("no recipients: alarms fire but reach nobody (alerts.emails, alerts.webhookUrls)");
    return b.build();
}

function leastPrivilege(ctx: Ctx): ReportControl {
    const { c } = ctx;
    const b = new ControlBuilder(ctx, "least-privilege", "Least privilege");
    b.says(
        "One role per function: dump and export may write objects under their prefixes but are denied every delete and retention change; verify may only read.",
        "The bucket policy limits writes and reads to those roles (by principal ARN); the key policy limits use of the key to them and to the AWS services named.",
        "Credentials are read from Secrets Manager at run time; the RDS master password is generated and kept by RDS in Secrets Manager, never in configuration or outputs.",
        "Secrets in the stack file (webhook URLs) must be Pulumi secrets; validation refuses plain text.",
    );
    b.enforcedBy("BackupFunction: per-function roles", `BackupBucket "backups": bucket policy`, `BackupKey "backups": key policy`);
    if (c.storage.replication) {
        b.says("The replication role may only read the source objects and replicate them into the DR bucket.");
        b.enforcedBy(`ReplicaBucket "backups-dr": replication role`);
    }
    c.aws.databases.forEach((db, i) => {
        if (db.credentialsSecretArn !== undefined) b.key(`aws.databases[${i}].credentialsSecretArn`, db.credentialsSecretArn);
    });
    if (c.functions.verification.credentialsSecretArn !== undefined) b.key("functions.verification.credentialsSecretArn", c.functions.verification.credentialsSecretArn);
    const st = c.azure?.storage;
    if (st !== undefined) {
        b.key("azure.storage.allowSharedKeyAccess", st.allowSharedKeyAccess);
        b.enforcedBy(`GeoRedundantStorage "azure-files"`);
        if (st.allowSharedKeyAccess) b.gap("the Azure storage account accepts account keys and SAS tokens (azure.storage.allowSharedKeyAccess)");
        else b.says("Azure storage: account keys and SAS tokens are off; access only through Microsoft Entra ID.");
    }
    (c.azure?.servers ?? []).forEach((s, i) => {
        b.key(`azure.servers[${i}].authentication.password`, s.authentication.password);
        b.enforcedBy(`FlexibleServerBackup "${s.name}"`);
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
export function rawValueAt(values: Readonly<Record<string, unknown>>, path: string): unknown {
    let cur: unknown = values;
    for (const part of path.replace(/\[(\d+)\]/g, ".$1").split(".")) {
        if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
        else if (isRecord(cur)) cur = cur[part];
        else return undefined;
    }
    return cur;
}

// ---------------------------------------------------------------------------------------------
// Evidence

/**
 * Reads a drill result (`npm run drill -- --json`: the JSON line is the last line of its output)
 * or a verify report. The whole output may be given; the last line that is a JSON object counts.
 */
export function parseEvidence(text: string, source: string): Evidence {
    const doc = lastJsonObject(text);
    if (doc === undefined) {
        throw new EvidenceError(`${source}: no JSON object found; expected the output of \`npm run drill -- --json\` or a verify report`);
    }
    if (Array.isArray(doc["checks"]) && typeof doc["rtoSeconds"] === "number") return drillEvidence(doc, source);
    if (Array.isArray(doc["targets"])) return verifyEvidence(doc, source);
    throw new EvidenceError(`${source}: a JSON object without "checks" and "rtoSeconds" (drill) or "targets" (verify); expected a drill result or a verify report`);
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

function drillEvidence(doc: Record<string, unknown>, source: string): Evidence {
    const checks = checksOf(doc["checks"], source, "checks", "");
    const database = typeof doc["database"] === "string" ? doc["database"] : "(unnamed)";
    const seconds = doc["restoreSeconds"];
    return {
        kind: "drill",
        source,
        ok: doc["ok"] === true,
        restores: typeof seconds === "number" && Number.isFinite(seconds) ? [{ database, seconds }] : [],
        checks,
    };
}

function verifyEvidence(doc: Record<string, unknown>, source: string): Evidence {
    const targets = doc["targets"] as unknown[];
    const restores: { database: string; seconds: number }[] = [];
    const checks: EvidenceCheck[] = [];
    targets.forEach((t, i) => {
        if (!isRecord(t) || typeof t["name"] !== "string") throw new EvidenceError(`${source}: targets[${i}] has no "name"; expected a verify report`);
        checks.push(...checksOf(t["checks"], source, `targets[${i}].checks`, `${t["name"]}/`));
        const restore = t["restore"];
        if (isRecord(restore) && typeof restore["seconds"] === "number") restores.push({ database: t["name"], seconds: restore["seconds"] });
    });
    const ranAt = typeof doc["finishedAt"] === "string" ? doc["finishedAt"] : undefined;
    return { kind: "verify", source, ok: doc["ok"] === true, ...(ranAt === undefined ? {} : { ranAt }), restores, checks };
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

// ---------------------------------------------------------------------------------------------
// Rendering

export function renderJson(report: AuditReport): string {
    return `${JSON.stringify(report, null, 2)}\n`;
}

export function renderMarkdown(r: AuditReport): string {
    const lines: string[] = [
        `# Backup and disaster-recovery audit report: ${r.environment}`,
        "",
        `Stack configuration: \`${r.source}\`. Keys are below the \`${r.namespace}:\` namespace; "set" means written in the stack file, "default" that the documented default applies.`,
        "",
        "| Control | Status |",
        "| --- | --- |",
        ...r.controls.map((c) => `| [${c.title}](#${anchor(c.title)}) | ${c.status} |`),
        "",
    ];
    for (const c of r.controls) {
        lines.push(`## ${c.title}`, "", `Status: **${c.status}**`, "");
        for (const f of c.findings) lines.push(`> ${f}`);
        if (c.findings.length > 0) lines.push("");
        lines.push("What the stack guarantees:", "", ...c.guarantees.map((g) => `- ${g}`), "");
        if (c.keys.length > 0) {
            lines.push("Configuration keys:", "", "| Key | Value | |", "| --- | --- | --- |", ...c.keys.map((k) => `| \`${k.path}\` | ${escapeCell(k.value)} | ${k.origin} |`), "");
        } else {
            lines.push("Configuration keys: none (always on).", "");
        }
        lines.push("Enforced by:", "", ...c.resources.map((res) => `- ${res}`), "");
        if (c.evidence.length > 0) lines.push("Measured:", "", ...c.evidence.map((e) => `- ${e}`), "");
    }
    lines.push("## Validation warnings", "");
    lines.push(...(r.warnings.length === 0 ? ["None."] : r.warnings.map((w) => `- ${w}`)), "");
    lines.push("## Evidence", "");
    const e = r.evidence;
    lines.push(
        e === undefined
            ? "None given (run `npm run drill -- --json > drill.json` and pass `--evidence drill.json`)."
            : `${e.kind} result from \`${e.source}\`${e.ranAt === undefined ? "" : ` (${e.ranAt})`}: ${e.ok ? "passed" : "FAILED"}, ${e.passed} of ${e.total} checks passed.`,
        "",
    );
    return lines.join("\n");
}

function anchor(title: string): string {
    return title.toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-");
}

function escapeCell(text: string): string {
    return text.replace(/\|/g, "\\|");
}
