import { GEO_REDUNDANCIES, type StorageRedundancy } from "../../components/azure/documents/lifecycle";
import { drCredentials } from "../../config/drCredentials";
import { COMPONENT_NAMES as N, flexibleServerName, rdsPostgresName } from "../../config/resourceNames";
import { effectiveGeoRedundantBackup } from "../../config/rules/azure";
import type { StackConfig } from "../../config/validate";
import type { ReportControl } from "../model";
import { awsBackupActive, ControlBuilder, type Ctx, managed, named } from "./common";

/** Geo-redundancy: the copies outside the primary region. */

export function geoRedundancy(ctx: Ctx): ReportControl {
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
