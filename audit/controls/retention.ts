import { tierTimeline } from "../../components/aws/documents/lifecycle";
import { blobTierTimeline } from "../../components/azure/documents/lifecycle";
import { COMPONENT_NAMES as N, flexibleServerName } from "../../config/resourceNames";
import { tierBlobLifecycles, vaultRetention } from "../../config/rules/azure";
import { TIER_NAMES } from "../../config/schema";
import type { ReportControl } from "../model";
import { awsBackupActive, ControlBuilder, type Ctx, named, runs } from "./common";

/** Retention per tier: S3 storage classes, Azure access tiers, vaulted and automated backups. */

export function retention(ctx: Ctx): ReportControl {
    const { c } = ctx;
    const b = new ControlBuilder(ctx, "retention", "Retention per tier");
    const tierLifecycles = tierBlobLifecycles(c);
    for (const tier of TIER_NAMES) {
        const t = c.retention[tier];
        const azureTier = tierLifecycles?.[tier];
        b.says(`${tier}: kept ${t.keepDays} days${c.regions !== undefined ? `; storage classes ${tierTimeline(t)}` : ""}${azureTier !== undefined ? `; Azure access tiers ${blobTierTimeline(azureTier)}` : ""}.`);
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
        b.says(`Azure file backups${tierLifecycles !== undefined ? " (exports)" : ""}: ${blobTierTimeline(st.lifecycle)}.`);
        for (const k of ["coolAfterDays", "coldAfterDays", "archiveAfterDays", "deleteAfterDays"] as const) {
            if (st.lifecycle[k] !== undefined) b.key(`azure.storage.lifecycle.${k}`, st.lifecycle[k]);
        }
        b.enforcedBy(named("GeoRedundantStorage", N.azureFiles, "lifecycle management policy"));
    }
    return b.build();
}

