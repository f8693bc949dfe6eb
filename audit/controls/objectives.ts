import { flexibleServerName, rdsPostgresName, scheduledRuns } from "../../config/resourceNames";
import { effectiveGeoRedundantBackup } from "../../config/rules/azure";
import { PITR_RPO_MINUTES, pitrMeetsRpo } from "../../config/rules/foundation";
import { backupMaxAgeMinutes, dumpReportSeconds } from "../../config/rules/functions";
import { formatMinutes } from "../../config/schedule";
import type { ReportControl } from "../model";
import { cadence, cadenceMinutes } from "../scheduleWords";
import { alarms, azureRunner, containerJobs, ControlBuilder, type Ctx, managed, named, runs, targetNames } from "./common";

/** The recovery objectives: RPO, RTO and the point-in-time recovery window per database. */

export function rpo(ctx: Ctx): ReportControl {
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

export function rto(ctx: Ctx): ReportControl {
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

export function pointInTimeRecovery(ctx: Ctx): ReportControl {
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
