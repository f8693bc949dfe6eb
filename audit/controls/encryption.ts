import { COMPONENT_NAMES as N, flexibleServerName, rdsPostgresName } from "../../config/resourceNames";
import type { StackConfig } from "../../config/validate";
import type { ReportControl } from "../model";
import { awsBackupActive, ControlBuilder, type Ctx, managed, named, runs } from "./common";

/** Encryption at rest and in transit. */

export function encryptionAtRest(ctx: Ctx): ReportControl {
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

export function encryptionInTransit(ctx: Ctx): ReportControl {
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
