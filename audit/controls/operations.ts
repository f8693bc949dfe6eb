import { COMPONENT_NAMES as N, flexibleServerName } from "../../config/resourceNames";
import type { ReportControl } from "../model";
import { alarms, awsBackupActive, azureRunner, containerJobs, ControlBuilder, type Ctx, dashboard, named, runnerAlerts, runs } from "./common";

/** Alerting recipients and least privilege. */

export function alerting(ctx: Ctx): ReportControl {
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

export function leastPrivilege(ctx: Ctx): ReportControl {
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
