/**
 * The Azure components with their Args, and the pure builders of the documents they declare
 * (`pg-backup-stack/azure`): needs the peer dependencies @pulumi/pulumi, @pulumi/azure-native and @pulumi/random,
 * not the AWS ones.
 */

export { FlexibleServerBackup, FlexibleServerBackupArgs } from "./flexibleServerBackup";
export { GeoRedundantStorage, GeoRedundantStorageArgs, CustomerManagedKey } from "./geoRedundantStorage";
export { BackupKeyVault, BackupKeyVaultArgs } from "./backupKeyVault";
export { FlexibleServerVaultBackup, FlexibleServerVaultBackupArgs, VaultedServer } from "./flexibleServerVaultBackup";
export { KeyRotation, keyRotationPolicy } from "./documents/keyVault";
export { VaultRetention, VaultSettings, flexibleServerBackupPolicy } from "./documents/backupVault";
export { BUILT_IN_ROLES, builtInRoleDefinitionId } from "./documents/roles";
export { AzureBackupAlerts, AzureBackupAlertsArgs, AlertedServer, AlertedStorageAccount } from "./azureBackupAlerts";
export { ContainerJobs, ContainerJobsArgs, RunnerTarget } from "./containerJobs";
export {
    DatabaseCredential, LogAlertDefinition, backupBlobWriterRole, consumptionSizeProblems, cronProblem, failedExecutionAlert,
    failedJobAlert, jobEnvironment, missingSuccessAlert, resultLineQuery,
} from "./documents/jobs";
export { EntraAdministrator } from "./documents/flexibleServer";
export { BlobTiers, StorageRedundancy, managementPolicy, tieredManagementPolicy, lifecycleProblems as blobLifecycleProblems } from "./documents/lifecycle";
