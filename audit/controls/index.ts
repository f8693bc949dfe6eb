import { AUDIT_REPORT_PREFIX, auditFrameworkControls, auditNames } from "../../components/aws/documents/auditFramework";
import { effectiveVaultLockMode } from "../../components/aws/documents/awsBackup";
import { auditFrameworkInput } from "../../config/auditFramework";
import { formatFinding } from "../../config/findings";
import { COMPONENT_NAMES as N } from "../../config/resourceNames";
import { effectiveGeoRedundantBackup, effectiveVaultImmutability } from "../../config/rules/azure";
import { PITR_RPO_MINUTES } from "../../config/rules/foundation";
import { formatMinutes } from "../../config/schedule";
import { CONFIG_NAMESPACE, TIER_NAMES } from "../../config/schema";
import { stackScope, type StackScope } from "../../config/scope";
import type { StackConfig } from "../../config/validate";
import { cloudsOf } from "../mappings";
import type { AuditManagerSetup, AuditReport, ControlId, ControlStatus, Evidence, ReportControl, ReportInput } from "../model";
import { scheduleInWords } from "../scheduleWords";
import { retentionPicture } from "../timeline";
import { awsBackupActive, azureRunner, type Ctx, managed } from "./common";
import { encryptionAtRest, encryptionInTransit } from "./encryption";
import { geoRedundancy } from "./geoRedundancy";
import { immutability } from "./immutability";
import { pointInTimeRecovery, rpo, rto } from "./objectives";
import { alerting, leastPrivilege } from "./operations";
import { retention } from "./retention";
import { restoreTesting, verification } from "./testing";

/**
 * The audit report's controls: control by control, what the stack guarantees, which
 * configuration keys set it (with their values, and whether the stack file sets them or the
 * default applies), which components enforce it, what it answers in the vocabularies of the
 * clouds the stack uses and in the checklists; validation warnings; and, given a drill or verify result,
 * the measured figures against the objectives. A pure function of its inputs (the generation
 * time is one of them): the same inputs give the same report, byte for byte. One file per
 * control family beside this one; common.ts holds what they share.
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
