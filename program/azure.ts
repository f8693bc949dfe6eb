import * as pulumi from "@pulumi/pulumi";
import { AzureBackupAlerts } from "../components/azure/azureBackupAlerts";
import { FlexibleServerBackup } from "../components/azure/flexibleServerBackup";
import { GeoRedundantStorage } from "../components/azure/geoRedundantStorage";
import { effectiveServerName } from "../config/rules/azure";
import { COMPONENT_NAMES as N, flexibleServerName } from "../config/resourceNames";
import type { StackConfig } from "../config/validate";

export interface AzureOutputs {
    readonly servers: Record<string, { readonly fqdn: pulumi.Output<string>; readonly earliestRestoreDate: pulumi.Output<string | undefined> }>;
    readonly storageAccountName?: pulumi.Output<string>;
    readonly actionGroupId: pulumi.Output<string>;
}

/** Flexible Servers with their backup policy, geo-redundant file storage and their alerts. */
export function deployAzure(config: StackConfig, azure: NonNullable<StackConfig["azure"]>, webhookUrls: readonly pulumi.Output<string>[]): AzureOutputs {
    const servers = azure.servers.map((s) => ({
        config: s,
        server: new FlexibleServerBackup(flexibleServerName(s.name), {
            resourceGroupName: azure.resourceGroupName,
            location: azure.location,
            serverName: effectiveServerName(config, s),
            version: s.version,
            skuName: s.skuName,
            skuTier: s.skuTier,
            storageSizeGb: s.storageSizeGb,
            backupRetentionDays: s.backupRetentionDays,
            production: config.isProd,
            ...(s.geoRedundantBackup !== undefined ? { geoRedundantBackup: s.geoRedundantBackup } : {}),
            highAvailability: s.highAvailability,
            administratorLogin: s.administratorLogin,
            passwordAuth: s.authentication.password,
            ...(s.authentication.entraAdmin !== undefined ? { entraAdmin: s.authentication.entraAdmin } : {}),
            network: s.network,
            protect: config.protect,
        }),
    }));
    const st = azure.storage;
    const files = st === undefined ? undefined : new GeoRedundantStorage(N.azureFiles, {
        resourceGroupName: azure.resourceGroupName,
        location: azure.location,
        ...(st.accountName !== undefined ? { accountName: st.accountName } : {}),
        redundancy: st.redundancy,
        softDeleteDays: st.softDeleteDays,
        containerSoftDeleteDays: st.containerSoftDeleteDays,
        ...(st.pointInTimeRestoreDays !== undefined ? { pointInTimeRestoreDays: st.pointInTimeRestoreDays } : {}),
        ...(st.immutabilityDays !== undefined ? { immutabilityDays: st.immutabilityDays } : {}),
        immutabilityLocked: st.immutabilityLocked,
        lifecycle: st.lifecycle,
        allowSharedKeyAccess: st.allowSharedKeyAccess,
        protect: config.protect,
    });
    const alerts = new AzureBackupAlerts(N.azureAlerts, {
        resourceGroupName: azure.resourceGroupName,
        servers: servers.map(({ config: s, server }) => ({ key: s.name, id: server.serverId, storageSizeGb: s.storageSizeGb })),
        ...(files !== undefined && st !== undefined ? { storageAccount: { id: files.accountId, capacityThresholdGb: st.capacityAlertGb } } : {}),
        emails: config.alerts.emails,
        webhookUrls,
    });
    return {
        servers: Object.fromEntries(servers.map(({ config: s, server }) => [s.name, { fqdn: server.fqdn, earliestRestoreDate: server.earliestRestoreDate }])),
        ...(files !== undefined ? { storageAccountName: files.accountName } : {}),
        actionGroupId: alerts.actionGroupId,
    };
}
