import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AlertTopic } from "../components/aws/alertTopic";
import { ChatChannels } from "../components/aws/chatChannels";
import { AuditFramework } from "../components/aws/auditFramework";
import { AwsBackupPlan } from "../components/aws/awsBackupPlan";
import { PlanTiers, effectiveVaultLockMode, vaultLockBounds } from "../components/aws/documents/awsBackup";
import { BackupBucket } from "../components/aws/backupBucket";
import { BackupKey } from "../components/aws/backupKey";
import { ENCRYPTED_TOPIC_PUBLISHERS } from "../components/aws/documents/keyPolicy";
import { FileBucketBackup } from "../components/aws/fileBucketBackup";
import { RdsPostgres } from "../components/aws/rdsPostgres";
import { ReplicaBucket } from "../components/aws/replicaBucket";
import { stackConfigRecord } from "../config/record";
import { auditFrameworkInput } from "../config/auditFramework";
import { TIER_NAMES } from "../config/schema";
import type { StackConfig } from "../config/validate";
import { backupSelectionTag, type StackScope } from "../config/scope";
import { COMPONENT_NAMES as N, rdsPostgresName } from "../config/resourceNames";

/** The AWS resources every other part of the stack hangs off. */
export interface AwsFoundation {
    /** The stack's scope: the stem of every account-unique name. */
    readonly scope: StackScope;
    readonly primary: aws.Provider;
    readonly dr: aws.Provider;
    readonly key: BackupKey;
    readonly bucket: BackupBucket;
    readonly replica?: ReplicaBucket;
    readonly topic: AlertTopic;
    readonly databases: readonly ProtectedDatabase[];
    readonly backupPlan?: AwsBackupPlan;
    readonly fileBackup?: FileBucketBackup;
    /** Key of the record of this deployment's configuration in the backup bucket. */
    readonly stackConfigKey: string;
    /** AWS Backup Audit Manager framework and report plan over the backup plan. */
    readonly audit?: AuditFramework;
}

/** A database the functions dump, export and verify, with the instance the stack manages for it (if any). */
export interface ProtectedDatabase {
    readonly config: StackConfig["aws"]["databases"][number];
    readonly instance?: RdsPostgres;
    /** Secret the functions read credentials from: the configured one, else the RDS-managed master secret. */
    readonly secretArn: pulumi.Output<string>;
    readonly host?: pulumi.Input<string>;
}

/** Services that use the backup key on their own behalf (encrypted topic, vault notifications, log groups). */
function keyServicePrincipals(region: string): string[] {
    return [...ENCRYPTED_TOPIC_PUBLISHERS, `logs.${region}.amazonaws.com`];
}

/** Key, buckets, alert topic, RDS instances and the AWS Backup plan. */
export function deployAwsFoundation(
    config: StackConfig,
    regions: NonNullable<StackConfig["regions"]>,
    scope: StackScope,
    webhookUrls: readonly pulumi.Output<string>[],
): AwsFoundation {
    const tags = { "pg-backup-stack:environment": config.environment, "managed-by": "pulumi" };
    const primary = new aws.Provider(N.primaryProvider, { region: regions.primary as aws.Region, defaultTags: { tags } });
    const dr = new aws.Provider(N.drProvider, { region: regions.dr as aws.Region, defaultTags: { tags } });
    const inPrimary = { provider: primary };
    const protect = { protect: config.protect };

    const key = new BackupKey(N.backupKey, {
        aliasName: scope.stem,
        description: `PostgreSQL backups (${config.environment})`,
        viaServices: ["s3", "backup", "rds", "secretsmanager", "sqs", "sns"],
        servicePrincipals: keyServicePrincipals(regions.primary),
        drProvider: dr,
    }, { ...inPrimary, ...protect });

    const tiers = Object.fromEntries(TIER_NAMES.map((t) => {
        const { keepDays, standardIaAfterDays, glacierAfterDays, deepArchiveAfterDays } = config.retention[t];
        return [t, {
            keepDays,
            ...(standardIaAfterDays !== undefined ? { standardIaAfterDays } : {}),
            ...(glacierAfterDays !== undefined ? { glacierAfterDays } : {}),
            ...(deepArchiveAfterDays !== undefined ? { deepArchiveAfterDays } : {}),
        }];
    }));
    const s = config.storage;
    const bucket = new BackupBucket(N.backupBucket, {
        kmsKeyArn: key.keyArn,
        tiers,
        prefix: s.prefix,
        exportPrefix: s.exportPrefix,
        exportKeepDays: s.exportKeepDays,
        noncurrentVersionExpireDays: s.noncurrentVersionExpireDays,
        abortIncompleteUploadDays: s.abortIncompleteUploadDays,
        ...(s.objectLock?.mode !== undefined && s.objectLock.days !== undefined ? { objectLock: { mode: s.objectLock.mode, days: s.objectLock.days } } : {}),
        accessLogExpireDays: s.accessLogExpireDays,
        forceDestroy: s.forceDestroy,
    }, { ...inPrimary, ...protect });

    // The configuration in force, kept beside the backups so a restore can tell which retention,
    // lock, schedules and objectives applied. Content-addressed and kept when superseded
    // (retainOnDelete), outside every lifecycle rule's prefix, under the bucket's default lock.
    const record = stackConfigRecord(config);
    new aws.s3.BucketObjectv2(N.stackConfigRecord, {
        bucket: bucket.bucketName,
        key: record.key,
        content: record.json,
        contentType: "application/json",
        serverSideEncryption: "aws:kms",
        kmsKeyId: key.keyArn,
        checksumAlgorithm: "SHA256",
    }, { ...inPrimary, parent: bucket, retainOnDelete: true });

    const replica = !s.replication || key.replicaKeyArn === undefined ? undefined : new ReplicaBucket(N.replicaBucket, {
        source: bucket,
        replicaKmsKeyArn: key.replicaKeyArn,
        drProvider: dr,
        replicateDeleteMarkers: false,
    }, { ...inPrimary, ...protect });

    const topic = new AlertTopic(N.alertTopic, {
        kmsKeyArn: key.keyArn,
        emails: config.alerts.emails,
        webhookUrls,
        displayName: `PostgreSQL backups ${config.environment}`,
    }, inPrimary);
    if (config.alerts.slack.length + config.alerts.teams.length > 0) {
        new ChatChannels(N.chatChannels, {
            topicArns: [topic.topicArn, topic.jobTopicArn],
            slack: config.alerts.slack,
            teams: config.alerts.teams,
        }, inPrimary);
    }

    const selectionTag = backupSelectionTag(config.aws.backup.selectionTag, scope);
    const databases: ProtectedDatabase[] = config.aws.databases.map((db) => {
        if (db.instance === undefined) {
            if (db.credentialsSecretArn === undefined) {
                throw new Error(`aws.databases: "${db.name}" has neither an instance nor credentialsSecretArn`);
            }
            return { config: db, secretArn: pulumi.output(db.credentialsSecretArn), ...(db.host !== undefined ? { host: db.host } : {}) };
        }
        const i = db.instance;
        const subnetIds = i.subnetIds ?? config.aws.network?.subnetIds ?? [];
        const instance = new RdsPostgres(rdsPostgresName(db.name), {
            databaseName: db.databaseName,
            kmsKeyArn: key.keyArn,
            subnetIds,
            ...(i.vpcSecurityGroupIds !== undefined ? { vpcSecurityGroupIds: i.vpcSecurityGroupIds } : {}),
            identifier: i.identifier ?? `${scope.stem}-${db.name}`,
            engineVersion: i.engineVersion,
            instanceClass: i.instanceClass,
            allocatedStorageGb: i.allocatedStorageGb,
            ...(i.maxAllocatedStorageGb !== undefined ? { maxAllocatedStorageGb: i.maxAllocatedStorageGb } : {}),
            multiAz: i.multiAz,
            port: db.port,
            masterUsername: i.masterUsername,
            masterCredentials: i.masterCredentials,
            drRegion: regions.dr,
            backupRetentionDays: i.backupRetentionDays,
            backupWindow: i.backupWindow,
            maintenanceWindow: i.maintenanceWindow,
            deletionProtection: i.deletionProtection ?? config.protect,
            protect: config.protect,
            performanceInsights: i.performanceInsights,
            logRetentionDays: i.logRetentionDays ?? config.functions.logRetentionDays,
            ...(i.logMinDurationStatementMs !== undefined ? { logMinDurationStatementMs: i.logMinDurationStatementMs } : {}),
            backupSelectionTag: selectionTag,
            tags: { [scope.tag.key]: scope.tag.value },
            replicateBackupsToDr: i.replicateBackupsToDr && i.backupRetentionDays > 0,
            drProvider: dr,
            ...(key.replicaKeyArn !== undefined ? { drKmsKeyArn: key.replicaKeyArn } : {}),
            ...(i.drBackupRetentionDays !== undefined ? { drBackupRetentionDays: i.drBackupRetentionDays } : {}),
        }, inPrimary);
        const secretArn = db.credentialsSecretArn !== undefined ? pulumi.output(db.credentialsSecretArn) : instance.masterUserSecretArn;
        return { config: db, instance, secretArn, host: instance.address };
    });

    const b = config.aws.backup;
    const managed = databases.filter((d) => d.instance !== undefined);
    const planTiers = Object.fromEntries(TIER_NAMES.map((t) => {
        const cold = b.coldStorageAfterDays[t];
        return [t, { keepDays: config.retention[t].keepDays, ...(cold !== undefined ? { coldStorageAfterDays: cold } : {}) }];
    })) as PlanTiers;
    const backupPlan = !b.enabled || (managed.length === 0 && b.fileBuckets.length === 0) ? undefined : new AwsBackupPlan(N.awsBackupPlan, {
        kmsKeyArn: key.keyArn,
        tiers: planTiers,
        schedule: b.schedule,
        weeklyOn: config.retention.weeklyOn,
        monthlyOn: config.retention.monthlyOn,
        startWindowMinutes: b.startWindowMinutes,
        completionWindowMinutes: b.completionWindowMinutes,
        vaultLock: {
            mode: effectiveVaultLockMode(b.vaultLock.mode, config.environment),
            ...vaultLockBounds(b.vaultLock, planTiers),
            changeableForDays: b.vaultLock.changeableForDays,
        },
        selectionTag,
        scopeTag: scope.tag,
        namePrefix: scope.stem,
        drProvider: dr,
        ...(key.replicaKeyArn !== undefined ? { drKmsKeyArn: key.replicaKeyArn } : {}),
        alertTopicArn: topic.jobTopicArn,
        restoreTesting: {
            enabled: b.restoreTesting.enabled && managed.length > 0,
            schedule: b.restoreTesting.schedule,
            startWindowHours: b.restoreTesting.startWindowHours,
            selectionWindowDays: b.restoreTesting.selectionWindowDays,
            validationWindowHours: b.restoreTesting.validationWindowHours,
            ...(b.restoreTesting.dbInstanceClass !== undefined ? { dbInstanceClass: b.restoreTesting.dbInstanceClass } : {}),
            protectedResourceArns: managed.flatMap((d) => (d.instance !== undefined ? [d.instance.instanceArn] : [])),
            ...(managed[0]?.instance !== undefined
                ? { dbSubnetGroupName: managed[0].instance.subnetGroupName, vpcSecurityGroupIds: managed[0].instance.securityGroupIds }
                : {}),
        },
        forceDestroy: s.forceDestroy,
        protect: config.protect,
    }, inPrimary);

    const fileBackup = backupPlan === undefined || b.fileBuckets.length === 0 ? undefined : new FileBucketBackup(N.fileBucketBackup, {
        planId: backupPlan.planId,
        roleName: backupPlan.roleName,
        roleArn: backupPlan.roleArn,
        buckets: b.fileBuckets,
    }, inPrimary);

    const auditInput = auditFrameworkInput(config, scope);
    const audit = backupPlan === undefined || auditInput === undefined ? undefined : new AuditFramework(N.auditFramework, {
        environment: scope.stack,
        controls: auditInput,
        forceDestroy: s.forceDestroy,
    }, { ...inPrimary, dependsOn: [backupPlan] });

    return {
        scope, primary, dr, key, bucket, ...(replica !== undefined ? { replica } : {}), topic, databases, stackConfigKey: record.key,
        ...(backupPlan !== undefined ? { backupPlan } : {}),
        ...(fileBackup !== undefined ? { fileBackup } : {}),
        ...(audit !== undefined ? { audit } : {}),
    };
}
