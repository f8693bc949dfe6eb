import { COMPONENT_NAMES as N, scheduledRuns } from "../../config/resourceNames";
import { backupMaxAgeMinutes } from "../../config/rules/functions";
import { formatMinutes } from "../../config/schedule";
import type { ReportControl } from "../model";
import { cadence } from "../scheduleWords";
import { alarms, awsBackupActive, azureRunner, containerJobs, ControlBuilder, type Ctx, named, runnerAlerts, runs, targetNames } from "./common";

/** Restore testing and verification: what restores and checks the backups, how often. */

export function restoreTesting(ctx: Ctx): ReportControl {
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

export function verification(ctx: Ctx): ReportControl {
    const { c, evidence } = ctx;
    const b = new ControlBuilder(ctx, "verification", "Verification cadence");
    const verified = c.aws.databases.filter((d) => d.verify);
    const s = c.functions.sizeBounds;
    if (verified.length > 0) {
        b.says(
            `The verify function runs ${cadence(c.schedules.verify)}, and checks for ${verified.map((d) => d.name).join(", ")}: the newest backup is younger than ${formatMinutes(backupMaxAgeMinutes(c))} (${backupMaxAgeMinutes(c) === c.objectives.rpoMinutes ? "the RPO" : "the longest gap between dumps: point-in-time recovery carries the RPO"}), its SHA-256 matches the manifest, its size is within ${s.minRatio}..${s.maxRatio} x the median of the previous ${s.window}, it restores into a scratch database created with the source's encoding and locale, with every table's row count and the number of large objects equal to the manifest, within the RTO, and the scratch database is dropped.`,
        );
    }
    // The verify job reads the server's backups through Azure Resource Manager, which the built-in
    // Reader role allows on the resource group ("Azure built-in roles", Reader:
    // https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/general#reader);
    // what it checks follows "Backup and restore in Azure Database for PostgreSQL - Flexible Server"
    // (https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-backup-restore).
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
