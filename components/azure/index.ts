/**
 * The Azure components with their Args, and the pure builders of the documents they declare
 * (`pg-backup-stack/azure`): needs the peer dependencies @pulumi/pulumi, @pulumi/azure-native and @pulumi/random,
 * not the AWS ones.
 */

export { FlexibleServerBackup, FlexibleServerBackupArgs } from "./flexibleServerBackup";
export { GeoRedundantStorage, GeoRedundantStorageArgs } from "./geoRedundantStorage";
export { AzureBackupAlerts, AzureBackupAlertsArgs, AlertedServer, AlertedStorageAccount } from "./azureBackupAlerts";
export { ContainerJobs, ContainerJobsArgs, RunnerTarget } from "./containerJobs";
export {
    BUILT_IN_ROLES, DatabaseCredential, LogAlertDefinition, backupBlobWriterRole, consumptionSizeProblems, cronProblem, failedExecutionAlert,
    failedJobAlert, jobEnvironment, missingSuccessAlert, resultLineQuery,
} from "./documents/jobs";
export { EntraAdministrator } from "./documents/flexibleServer";
export { BlobTiers, StorageRedundancy, managementPolicy, lifecycleProblems as blobLifecycleProblems } from "./documents/lifecycle";
