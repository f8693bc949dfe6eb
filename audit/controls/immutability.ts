import { effectiveVaultLockMode, vaultLockBounds } from "../../components/aws/documents/awsBackup";
import { COMPONENT_NAMES as N } from "../../config/resourceNames";
import { effectiveVaultImmutability } from "../../config/rules/azure";
import { TIER_NAMES } from "../../config/schema";
import type { ReportControl } from "../model";
import { awsBackupActive, ControlBuilder, type Ctx, named, runs } from "./common";

/** Immutability: S3 Object Lock and vault lock on AWS, immutability policies and the Backup vault on Azure. */

export function immutability(ctx: Ctx): ReportControl {
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
