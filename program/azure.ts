import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import { AzureBackupAlerts } from "../components/azure/azureBackupAlerts";
import { BackupKeyVault } from "../components/azure/backupKeyVault";
import { FlexibleServerBackup } from "../components/azure/flexibleServerBackup";
import { FlexibleServerVaultBackup } from "../components/azure/flexibleServerVaultBackup";
import { GeoRedundantStorage } from "../components/azure/geoRedundantStorage";
import { ContainerJobs, RunnerTarget } from "../components/azure/containerJobs";
import { dumpSettings, exportSettings, verifySettings } from "../components/aws/functionEnv";
import { effectiveRunnerMemoryGi, runnerClientMajor } from "../config/rules/azureRunner";
import { COMPONENT_NAMES as N, flexibleServerName } from "../config/resourceNames";
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
    /** The Azure runner's jobs, by `<target>-<kind>`, and its identity (when azure.runner is set). */
    readonly runner?: { readonly jobNames: Readonly<Record<string, string>>; readonly identityClientId: pulumi.Output<string>; readonly registryLoginServer: pulumi.Output<string> };
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
    const client = authorization.getClientConfigOutput();
    const kv = azure.keyVault;
    const keys = kv === undefined ? undefined : new BackupKeyVault(N.azureKeys, {
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
        ...(tierLifecycle !== undefined ? { tierLifecycle } : {}),
        versionLevelImmutability: st.versionLevelImmutability,
        ...(keys !== undefined ? { customerManagedKey: { keyVaultUri: keys.vaultUri, keyName: keys.keyName, identityId: keys.encryptionIdentityId } } : {}),
        allowSharedKeyAccess: st.allowSharedKeyAccess,
        protect: config.protect,
    });
    const bv = azure.backupVault;
    const vault = bv === undefined || servers.length === 0 ? undefined : new FlexibleServerVaultBackup(N.azureVault, {
        resourceGroupName: azure.resourceGroupName,
        location: azure.location,
        serverResourceGroupId: pulumi.interpolate`/subscriptions/${client.subscriptionId}/resourceGroups/${azure.resourceGroupName}`,
        servers: servers.map(({ config: s, server }) => ({ key: s.name, serverId: server.serverId, serverName: server.serverName })),
        settings: { redundancy: bv.redundancy, immutability: effectiveVaultImmutability(config, bv), softDelete: bv.softDelete, softDeleteDays: bv.softDeleteDays },
        retention: vaultRetention(config, bv),
        schedule: { weekday: config.retention.weeklyOn, time: bv.time },
        protect: config.protect,
    });
    const alerts = new AzureBackupAlerts(N.azureAlerts, {
        resourceGroupName: azure.resourceGroupName,
        servers: servers.map(({ config: s, server }) => ({ key: s.name, id: server.serverId, storageSizeGb: s.storageSizeGb })),
        ...(files !== undefined && st !== undefined ? { storageAccount: { id: files.accountId, capacityThresholdGb: st.capacityAlertGb } } : {}),
        emails: config.alerts.emails,
        webhookUrls,
    });
    const runner = azure.runner === undefined || files === undefined ? undefined : deployAzureRunner(config, azure, azure.runner, {
        servers: servers.map(({ config: s, server }) => ({ name: s.name, fqdn: server.fqdn, serverName: server.serverName })),
        storage: { accountId: files.accountId, blobEndpoint: files.primaryBlobEndpoint.apply((e) => e ?? ""), containerName: files.backupContainerName },
        actionGroupId: alerts.actionGroupId,
        ...(keys !== undefined ? { keyVault: { id: keys.vaultId, uri: keys.vaultUri } } : {}),
    });
    return {
        servers: Object.fromEntries(servers.map(({ config: s, server }) => [s.name, { fqdn: server.fqdn, earliestRestoreDate: server.earliestRestoreDate }])),
        ...(files !== undefined ? { storageAccountName: files.accountName, blobEndpoint: files.primaryBlobEndpoint, backupContainer: files.backupContainerName } : {}),
        actionGroupId: alerts.actionGroupId,
        ...(runner !== undefined ? {
            runner: { jobNames: runner.jobNames, identityClientId: runner.identityClientId, registryLoginServer: runner.registryLoginServer },
        } : {}),
        ...(keys !== undefined ? { keyVaultId: keys.vaultId, databaseSecretUris: keys.secretUris } : {}),
        ...(vault !== undefined ? { backupVaultName: vault.vaultName } : {}),
    };
}

/** What the Azure runner takes from the rest of the Azure deployment. */
interface RunnerDependencies {
    readonly servers: readonly { readonly name: string; readonly fqdn: pulumi.Output<string>; readonly serverName: pulumi.Output<string> }[];
    readonly storage: { readonly accountId: pulumi.Output<string>; readonly blobEndpoint: pulumi.Output<string>; readonly containerName: pulumi.Output<string> };
    readonly actionGroupId: pulumi.Output<string>;
    /** The stack's own Key Vault (azure.keyVault), holding the servers' login secrets; else azure.runner.keyVaultId. */
    readonly keyVault?: { readonly id: pulumi.Output<string>; readonly uri: pulumi.Output<string> };
}

/** `https://<vault>.vault.azure.net` from the vault's ARM id (public cloud). */
function vaultUri(vaultId: string): string {
    return `https://${vaultId.split("/").pop() ?? ""}.vault.azure.net`;
}

/**
 * The Azure-native runner (azure.runner): dump, export and verify of each target as Container Apps
 * jobs with the stack's own identity, registry and logs; its alerts go to the servers' action group.
 */
function deployAzureRunner(
    config: StackConfig,
    azure: NonNullable<StackConfig["azure"]>,
    runner: NonNullable<NonNullable<StackConfig["azure"]>["runner"]>,
    deps: RunnerDependencies,
): ContainerJobs {
    const fc = config.functions;
    const lock = config.storage.objectLock;
    const keepDays = { daily: config.retention.daily.keepDays, weekly: config.retention.weekly.keepDays, monthly: config.retention.monthly.keepDays };
    const targets = runner.targets.map((t): RunnerTarget => {
        const server = deps.servers.find((s) => s.name === t.server);
        if (server === undefined) throw new Error(`azure.runner.targets: server "${t.server}" is not deployed`);
        return {
            key: t.server,
            host: server.fqdn,
            serverName: server.serverName,
            databaseName: t.databaseName,
            credential: t.entraUser !== undefined ? { entraUser: t.entraUser } : { keyVaultSecretName: t.keyVaultLogin ?? "" },
            dumpSettings: dumpSettings({
                weeklyOn: config.retention.weeklyOn,
                monthlyOnDay: config.retention.monthlyOn,
                compression: fc.compression,
                partSizeMiB: fc.partSizeMiB,
                ...(lock?.mode !== undefined ? { objectLock: { mode: lock.mode, keepDays } } : {}),
                metricsNamespace: fc.metricsNamespace,
            }),
            ...(t.exportTables.length > 0 ? {
                exportSettings: exportSettings({
                    prefix: config.storage.exportPrefix,
                    tables: t.exportTables,
                    partSizeMiB: fc.partSizeMiB,
                    safetyLagSeconds: fc.exportSafetyLagSeconds,
                    metricsNamespace: fc.metricsNamespace,
                }),
            } : {}),
            verifySettings: verifySettings({
                databases: [t.server],
                maxBackupAgeMinutes: runner.maxBackupAgeHours * 60,
                rtoMinutes: config.objectives.rtoMinutes,
                sizeBounds: fc.sizeBounds,
                restoreJobs: fc.restoreJobs,
                metricsNamespace: fc.metricsNamespace,
            }),
        };
    });
    return new ContainerJobs(N.azureRunner, {
        resourceGroupName: azure.resourceGroupName,
        location: azure.location,
        environment: config.environment,
        storage: deps.storage,
        prefix: config.storage.prefix,
        ...(deps.keyVault !== undefined
            ? { keyVault: deps.keyVault }
            : runner.keyVaultId !== undefined ? { keyVault: { id: runner.keyVaultId, uri: vaultUri(runner.keyVaultId) } } : {}),
        targets,
        schedules: runner.schedules,
        timeoutMinutes: runner.timeoutMinutes,
        cpu: runner.cpu,
        memoryGi: effectiveRunnerMemoryGi(runner),
        retryLimit: runner.retryLimit,
        logRetentionDays: runner.logRetentionDays,
        maxBackupAgeHours: runner.maxBackupAgeHours,
        ...(runner.network.infrastructureSubnetId !== undefined ? { infrastructureSubnetId: runner.network.infrastructureSubnetId } : {}),
        actionGroupId: deps.actionGroupId,
        pgMajor: runnerClientMajor(config),
    });
}
