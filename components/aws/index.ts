/**
 * The AWS components with their Args, and the pure builders of the documents they declare
 * (`pg-backup-stack/aws`): needs the peer dependencies @pulumi/pulumi, @pulumi/aws,
 * @pulumi/random and @pulumi/docker-build, not the Azure provider.
 */

// AWS: storage
export { BackupKey, BackupKeyArgs } from "./backupKey";
export { BackupBucket, BackupBucketArgs, BackupBucketSettings, ObjectLockArgs } from "./backupBucket";
export { ReplicaBucket, ReplicaBucketArgs } from "./replicaBucket";
export { RetentionTiers } from "./retentionTiers";
export { RetentionTier, RetentionTierSet, TierName, TIER_TAG_KEY, lifecycleRules, lifecycleProblems } from "./documents/lifecycle";
export { backupKeyPolicy } from "./documents/keyPolicy";
export { backupBucketPolicy, logBucketPolicy } from "./documents/bucketPolicy";
export { ReplicaStorageClass, replicationRolePolicy, replicationRules } from "./documents/replication";

// AWS: managed PostgreSQL, AWS Backup, alerts
export { RdsPostgres, RdsPostgresArgs } from "./rdsPostgres";
export { AwsBackupPlan, AwsBackupPlanArgs, AwsBackupRestoreTestingArgs, AwsBackupVaultLockArgs } from "./awsBackupPlan";
export { FileBucketBackup, FileBucketBackupArgs } from "./fileBucketBackup";
export { AuditFramework, AuditFrameworkArgs } from "./auditFramework";
export { AuditControl, AuditControlsInput, auditFrameworkControls, auditNames, auditReportBucketPolicy, auditReportKeyPolicy } from "./documents/auditFramework";
export { AlertTopic, AlertTopicArgs } from "./alertTopic";
export { ChatChannels, ChatChannelsArgs, SlackChannel, TeamsChannel } from "./chatChannels";
export { CHAT_ID_FORMATS, chatbotAssumeRolePolicy, chatbotNotificationsPolicy, teamsChannelIdForApi } from "./documents/chatChannels";
export { backupPlanRules, effectiveVaultLockMode, planRuleTemplates, vaultLockBounds } from "./documents/awsBackup";
export { rdsParameters, finalSnapshotIdentifier } from "./documents/rds";
export { alertTopicPolicy } from "./documents/alerts";

// AWS: the backup functions, their alarms and dashboard
export { BackupFunction, BackupFunctionArgs, BackupFunctionNetwork, FUNCTION_HANDLERS, functionRoleArn, functionRoleNames } from "./backupFunction";
export type { ScheduledWorkArgs } from "./scheduledWork";
export { FargateRunner, FargateRunnerArgs, TaskEventsLogPolicy, TaskEventsLogPolicyArgs, runnerLogGroupName, runnerRoleNames } from "./fargateRunner";
export { FunctionImage, FunctionImageArgs } from "./functionImage";
export { S3GatewayEndpoint, S3GatewayEndpointArgs } from "./s3GatewayEndpoint";
export { BackupAlarms, BackupAlarmsArgs, AlarmedDatabase, AlarmedFunction, AlarmedRunner } from "./backupAlarms";
export { BackupDashboard, BackupDashboardArgs } from "./backupDashboard";
export { dumpEnvironment, exportEnvironment, verifyEnvironment } from "./functionEnv";
export { dumpRolePolicy, exportRolePolicy, verifyRolePolicy } from "./documents/functionPolicies";
export { AlarmDefinition } from "./documents/alarms";
export { dashboardBody } from "./documents/dashboard";
