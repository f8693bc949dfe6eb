/**
 * Public surface of the component library: each component with its Args, and the pure
 * builders of the documents they declare, for teams that import single pieces.
 *
 *     import { BackupBucket, BackupKey, RetentionTiers } from "pg-backup-stack";
 */

// AWS: storage
export { BackupKey, BackupKeyArgs } from "./aws/backupKey";
export { BackupBucket, BackupBucketArgs, BackupBucketSettings, ObjectLockArgs } from "./aws/backupBucket";
export { ReplicaBucket, ReplicaBucketArgs } from "./aws/replicaBucket";
export { RetentionTiers } from "./aws/retentionTiers";
export { RetentionTier, RetentionTierSet, TierName, TIER_TAG_KEY, lifecycleRules, lifecycleProblems } from "./aws/documents/lifecycle";
export { backupKeyPolicy } from "./aws/documents/keyPolicy";
export { backupBucketPolicy, logBucketPolicy } from "./aws/documents/bucketPolicy";
export { ReplicaStorageClass, replicationRolePolicy, replicationRules } from "./aws/documents/replication";

// AWS: managed PostgreSQL, AWS Backup, alerts
export { RdsPostgres, RdsPostgresArgs } from "./aws/rdsPostgres";
export { AwsBackupPlan, AwsBackupPlanArgs, AwsBackupRestoreTestingArgs, AwsBackupVaultLockArgs } from "./aws/awsBackupPlan";
export { FileBucketBackup, FileBucketBackupArgs } from "./aws/fileBucketBackup";
export { AuditFramework, AuditFrameworkArgs } from "./aws/auditFramework";
export { AuditControl, AuditControlsInput, auditFrameworkControls, auditNames, auditReportBucketPolicy, auditReportKeyPolicy } from "./aws/documents/auditFramework";
export { AlertTopic, AlertTopicArgs } from "./aws/alertTopic";
export { ChatChannels, ChatChannelsArgs, SlackChannel, TeamsChannel } from "./aws/chatChannels";
export { CHAT_ID_FORMATS, chatbotAssumeRolePolicy, chatbotNotificationsPolicy, teamsChannelIdForApi } from "./aws/documents/chatChannels";
export { backupPlanRules, effectiveVaultLockMode, planRuleTemplates, vaultLockBounds } from "./aws/documents/awsBackup";
export { rdsParameters, finalSnapshotIdentifier } from "./aws/documents/rds";
export { alertTopicPolicy } from "./aws/documents/alerts";

// AWS: the backup functions, their alarms and dashboard
export { BackupFunction, BackupFunctionArgs, BackupFunctionNetwork, FUNCTION_HANDLERS, functionRoleArn, functionRoleNames } from "./aws/backupFunction";
export type { ScheduledWorkArgs } from "./aws/scheduledWork";
export { FargateRunner, FargateRunnerArgs, runnerRoleNames } from "./aws/fargateRunner";
export { FunctionImage, FunctionImageArgs } from "./aws/functionImage";
export { BackupAlarms, BackupAlarmsArgs, AlarmedDatabase, AlarmedFunction, AlarmedRunner } from "./aws/backupAlarms";
export { BackupDashboard, BackupDashboardArgs } from "./aws/backupDashboard";
export { dumpEnvironment, exportEnvironment, verifyEnvironment } from "./aws/functionEnv";
export { dumpRolePolicy, exportRolePolicy, verifyRolePolicy } from "./aws/documents/functionPolicies";
export { AlarmDefinition } from "./aws/documents/alarms";
export { dashboardBody } from "./aws/documents/dashboard";

// Azure
export { FlexibleServerBackup, FlexibleServerBackupArgs } from "./azure/flexibleServerBackup";
export { GeoRedundantStorage, GeoRedundantStorageArgs, CustomerManagedKey } from "./azure/geoRedundantStorage";
export { BackupKeyVault, BackupKeyVaultArgs } from "./azure/backupKeyVault";
export { FlexibleServerVaultBackup, FlexibleServerVaultBackupArgs, VaultedServer } from "./azure/flexibleServerVaultBackup";
export { KeyRotation, keyRotationPolicy } from "./azure/documents/keyVault";
export { VaultRetention, VaultSettings, flexibleServerBackupPolicy } from "./azure/documents/backupVault";
export { BUILT_IN_ROLES, builtInRoleDefinitionId } from "./azure/documents/roles";
export { AzureBackupAlerts, AzureBackupAlertsArgs, AlertedServer, AlertedStorageAccount } from "./azure/azureBackupAlerts";
export { EntraAdministrator } from "./azure/documents/flexibleServer";
export { BlobTiers, StorageRedundancy, managementPolicy, tieredManagementPolicy, lifecycleProblems as blobLifecycleProblems } from "./azure/documents/lifecycle";
