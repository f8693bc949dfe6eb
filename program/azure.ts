import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import { AzureBackupAlerts } from "../components/azure/azureBackupAlerts";
import { BackupKeyVault } from "../components/azure/backupKeyVault";
import { FlexibleServerBackup } from "../components/azure/flexibleServerBackup";
import { FlexibleServerVaultBackup } from "../components/azure/flexibleServerVaultBackup";
import { GeoRedundantStorage } from "../components/azure/geoRedundantStorage";
import { databaseSecretName, databaseSecretValue } from "../components/azure/documents/keyVault";
import { effectiveServerName, effectiveVaultImmutability, tierBlobLifecycles, vaultRetention } from "../config/rules/azure";
import type { StackConfig } from "../config/validate";

/** PostgreSQL's port on a Flexible Server. */
const SERVER_PORT = 5432;

export interface AzureOutputs {
    readonly servers: Record<string, { readonly fqdn: pulumi.Output<string>; readonly earliestRestoreDate: pulumi.Output<string | undefined> }>;
    readonly storageAccountName?: pulumi.Output<string>;
    /** AZURE_BLOB_ENDPOINT of the jobs: `https://<account>.blob.core.windows.net/`. */
    readonly blobEndpoint?: pulumi.Output<string | undefined>;
    /** BACKUP_CONTAINER of the jobs. */
    readonly backupContainer?: pulumi.Output<string>;
    readonly actionGroupId: pulumi.Output<string>;
    /** ARM ID of the Key Vault (the jobs' identity gets "Key Vault Secrets User" on it). */
    readonly keyVaultId?: pulumi.Output<string>;
    /** DB_KEYVAULT_SECRET_URI per server (password-authenticated servers only). */
    readonly databaseSecretUris?: pulumi.Output<Record<string, string>>;
    readonly backupVaultName?: pulumi.Output<string>;
}

/** Flexible Servers with their backup policy, geo-redundant file storage and their alerts. */
export function deployAzure(config: StackConfig, azure: NonNullable<StackConfig["azure"]>, webhookUrls: readonly pulumi.Output<string>[]): AzureOutputs {
    const servers = azure.servers.map((s) => ({
        config: s,
        server: new FlexibleServerBackup(s.name, {
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
    const client = authorization.getClientConfigOutput();
    const kv = azure.keyVault;
    const keys = kv === undefined ? undefined : new BackupKeyVault("azure-keys", {
        resourceGroupName: azure.resourceGroupName,
        location: azure.location,
        tenantId: client.tenantId,
        ...(kv.vaultName !== undefined ? { vaultName: kv.vaultName } : {}),
        softDeleteDays: kv.softDeleteDays,
        keySize: kv.keySize,
        rotation: { rotateAfterDays: kv.rotateAfterDays, expiryDays: kv.keyExpiryDays },
        secrets: Object.fromEntries(servers.filter(({ config: s }) => s.authentication.password).map(({ config: s, server }) => [
            databaseSecretName(s.name),
            pulumi.all([server.administratorLogin, server.administratorPassword, server.fqdn]).apply(([username, password, host]) => {
                if (username === undefined || password === undefined) throw new Error(`azure.servers ${s.name}: password authentication without a generated password`);
                return databaseSecretValue({ username, password, host, port: SERVER_PORT });
            }),
        ])),
        protect: config.protect,
    });
    const st = azure.storage;
    const tierLifecycle = tierBlobLifecycles(config);
    const files = st === undefined ? undefined : new GeoRedundantStorage("azure-files", {
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
        ...(tierLifecycle !== undefined ? { tierLifecycle } : {}),
        versionLevelImmutability: st.versionLevelImmutability,
        ...(keys !== undefined ? { customerManagedKey: { keyVaultUri: keys.vaultUri, keyName: keys.keyName, identityId: keys.encryptionIdentityId } } : {}),
        allowSharedKeyAccess: st.allowSharedKeyAccess,
        protect: config.protect,
    });
    const bv = azure.backupVault;
    const vault = bv === undefined || servers.length === 0 ? undefined : new FlexibleServerVaultBackup("azure-vault", {
        resourceGroupName: azure.resourceGroupName,
        location: azure.location,
        serverResourceGroupId: pulumi.interpolate`/subscriptions/${client.subscriptionId}/resourceGroups/${azure.resourceGroupName}`,
        servers: servers.map(({ config: s, server }) => ({ key: s.name, serverId: server.serverId, serverName: server.serverName })),
        settings: { redundancy: bv.redundancy, immutability: effectiveVaultImmutability(config, bv), softDelete: bv.softDelete, softDeleteDays: bv.softDeleteDays },
        retention: vaultRetention(config, bv),
        schedule: { weekday: config.retention.weeklyOn, time: bv.time },
        protect: config.protect,
    });
    const alerts = new AzureBackupAlerts("azure-alerts", {
        resourceGroupName: azure.resourceGroupName,
        servers: servers.map(({ config: s, server }) => ({ key: s.name, id: server.serverId, storageSizeGb: s.storageSizeGb })),
        ...(files !== undefined && st !== undefined ? { storageAccount: { id: files.accountId, capacityThresholdGb: st.capacityAlertGb } } : {}),
        emails: config.alerts.emails,
        webhookUrls,
    });
    return {
        servers: Object.fromEntries(servers.map(({ config: s, server }) => [s.name, { fqdn: server.fqdn, earliestRestoreDate: server.earliestRestoreDate }])),
        ...(files !== undefined ? { storageAccountName: files.accountName, blobEndpoint: files.primaryBlobEndpoint, backupContainer: files.backupContainerName } : {}),
        actionGroupId: alerts.actionGroupId,
        ...(keys !== undefined ? { keyVaultId: keys.vaultId, databaseSecretUris: keys.secretUris } : {}),
        ...(vault !== undefined ? { backupVaultName: vault.vaultName } : {}),
    };
}
