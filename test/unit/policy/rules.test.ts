import * as assert from "assert";
import { type ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { type JavaScriptValue, Struct } from "google-protobuf/google/protobuf/struct_pb";
import {
    type PolicyResource,
    type ResourceValidationArgs,
    type ResourceValidationPolicy,
    type StackValidationPolicy,
    unknownCheckingProxy,
} from "@pulumi/policy";
import { fromPulumiConfig } from "../../../config/load";
import { type StackConfig, validateConfig } from "../../../config/validate";
import { policies } from "../../../policy/policies";
import {
    azureBackupContainerImmutable,
    azureBackupPolicyRetention,
    azureBackupVaultImmutable,
    azureKeyVaultProtected,
    azureStorageCustomerManagedKey,
    azurePostgresBackupRetention,
    azurePostgresGeoRedundantBackup,
    backupPlanCopies,
    backupPlanFrequency,
    backupPlanRetention,
    backupVaultEncrypted,
    backupVaultLocked,
    backupVaultLockRetention,
    kmsKeyRotation,
    lambdaCredentialNames,
    lambdaCredentialUrls,
    logGroupEncrypted,
    logGroupRetention,
    rdsBackupRetention,
    rdsBackupsCrossRegion,
    rdsCopyTagsToSnapshot,
    rdsDeletionProtection,
    rdsFinalSnapshot,
    rdsNotPublic,
    rdsStorageEncrypted,
    type ResourceRule,
    s3AccessLogBucketEncryption,
    s3BackupBucketObjectLock,
    s3BackupBucketReplication,
    s3BucketControlsDeclared,
    s3BucketKmsEncryption,
    s3EncryptionKms,
    s3LifecycleExpiration,
    s3ObjectLockRetention,
    s3PublicAccessBlock,
    s3Versioning,
    type StackResource,
    snsTopicEncrypted,
    storageAccountHttpsOnly,
    storageAccountMinimumTls,
    storageAccountNoPublicBlobs,
    TYPES,
    UNKNOWN,
} from "../../../policy/rules";
import { type RecordedResource, settle, setupMocks, unwrap } from "../../helpers/mocks";
import { engineConfig, ROOT, shippedStackFiles } from "../../helpers/stackFiles";

const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

interface Case {
    readonly title: string;
    readonly type: string;
    readonly props: Record<string, unknown>;
    /** One pattern per expected message, in order; none for a passing input. */
    readonly violations: readonly RegExp[];
}

/** Runs an example table against a rule: each row's messages must match its patterns, one for one. */
function table(name: string, rule: ResourceRule, cases: readonly Case[]): void {
    describe(name, () => {
        for (const c of cases) {
            it(c.title, () => {
                // given: the row's type and inputs
                // when
                const messages = rule(c.type, c.props);
                // then
                assert.strictEqual(messages.length, c.violations.length, `messages: ${JSON.stringify(messages)}`);
                c.violations.forEach((pattern, i) => assert.match(messages[i] ?? "", pattern));
            });
        }
    });
}

const ALL_BLOCKS = { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true };
const KMS_RULES = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY_ARN }, bucketKeyEnabled: true }];
const GOOD_RDS = {
    storageEncrypted: true, kmsKeyId: KEY_ARN, backupRetentionPeriod: 7, publiclyAccessible: false,
    deletionProtection: true, copyTagsToSnapshot: true, skipFinalSnapshot: false,
};

describe("policy rules (pure, over plain inputs)", () => {
    table("s3PublicAccessBlock", s3PublicAccessBlock, [
        { title: "passes with all four blocks on", type: TYPES.publicAccessBlock, props: { bucket: "b", ...ALL_BLOCKS }, violations: [] },
        { title: "names each block that is off or unset", type: TYPES.publicAccessBlock, props: { bucket: "b", ...ALL_BLOCKS, blockPublicPolicy: false, restrictPublicBuckets: undefined },
            violations: [/^blockPublicPolicy: false must be true/, /^restrictPublicBuckets: \(unset\) must be true/] },
        { title: "holds the account-wide block to the same", type: TYPES.accountPublicAccessBlock, props: { ...ALL_BLOCKS, ignorePublicAcls: false }, violations: [/^ignorePublicAcls: false must be true/] },
        { title: "ignores other types", type: TYPES.bucket, props: { blockPublicAcls: false }, violations: [] },
    ]);

    table("s3Versioning", s3Versioning, [
        { title: "passes with status Enabled", type: TYPES.bucketVersioning, props: { versioningConfiguration: { status: "Enabled" } }, violations: [] },
        { title: "refuses Suspended", type: TYPES.bucketVersioning, props: { versioningConfiguration: { status: "Suspended" } }, violations: [/^versioningConfiguration\.status: "Suspended" must be "Enabled"/] },
        { title: "refuses a missing configuration, on the older type too", type: TYPES.bucketVersioningV2, props: {}, violations: [/^versioningConfiguration\.status: \(unset\) must be "Enabled"/] },
    ]);

    table("s3EncryptionKms", s3EncryptionKms, [
        { title: "passes with aws:kms and a key ARN", type: TYPES.bucketEncryption, props: { bucket: "b", rules: KMS_RULES }, violations: [] },
        { title: "passes with DSSE-KMS and a key ARN", type: TYPES.bucketEncryptionV2,
            props: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms:dsse", kmsMasterKeyId: KEY_ARN } }] }, violations: [] },
        { title: "refuses SSE-S3", type: TYPES.bucketEncryption, props: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
            violations: [/^rules\[0\]\.applyServerSideEncryptionByDefault\.sseAlgorithm: "AES256" must be "aws:kms"/, /kmsMasterKeyId: \(unset\) must be a KMS key ARN/] },
        { title: "refuses aws:kms with the AWS-managed key (no key given) or an alias", type: TYPES.bucketEncryption,
            props: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }, { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "alias/backups" } }] },
            violations: [/^rules\[0\]\.applyServerSideEncryptionByDefault\.kmsMasterKeyId: \(unset\)/, /^rules\[1\]\.applyServerSideEncryptionByDefault\.kmsMasterKeyId: "alias\/backups" must be a KMS key ARN/] },
        { title: "refuses a configuration without rules", type: TYPES.bucketEncryption, props: { rules: [] }, violations: [/^rules: \[\] must hold a rule with sseAlgorithm "aws:kms"/] },
    ]);

    table("rdsStorageEncrypted", rdsStorageEncrypted, [
        { title: "passes encrypted with a key", type: TYPES.rdsInstance, props: GOOD_RDS, violations: [] },
        { title: "refuses unencrypted storage without a key", type: TYPES.rdsInstance, props: { ...GOOD_RDS, storageEncrypted: false, kmsKeyId: undefined },
            violations: [/^storageEncrypted: false must be true/, /^kmsKeyId: \(unset\) must name the customer-managed KMS key/] },
        { title: "refuses encryption with the default key (no kmsKeyId)", type: TYPES.rdsInstance, props: { ...GOOD_RDS, kmsKeyId: "" }, violations: [/^kmsKeyId: "" must name/] },
        { title: "ignores other types", type: TYPES.kmsKey, props: { storageEncrypted: false }, violations: [] },
    ]);

    table("rdsBackupRetention (default minimum 7)", rdsBackupRetention(), [
        { title: "passes at 7 days", type: TYPES.rdsInstance, props: GOOD_RDS, violations: [] },
        { title: "refuses 3 days", type: TYPES.rdsInstance, props: { ...GOOD_RDS, backupRetentionPeriod: 3 }, violations: [/^backupRetentionPeriod: 3 must be at least 7/] },
        { title: "refuses an unset retention (AWS would keep 1 day)", type: TYPES.rdsInstance, props: { ...GOOD_RDS, backupRetentionPeriod: undefined }, violations: [/^backupRetentionPeriod: \(unset\) must be at least 7/] },
    ]);
    table("rdsBackupRetention (minimum 14)", rdsBackupRetention(14), [
        { title: "passes at 14 days", type: TYPES.rdsInstance, props: { ...GOOD_RDS, backupRetentionPeriod: 14 }, violations: [] },
        { title: "refuses 7 days", type: TYPES.rdsInstance, props: GOOD_RDS, violations: [/^backupRetentionPeriod: 7 must be at least 14/] },
    ]);

    table("rdsNotPublic", rdsNotPublic, [
        { title: "passes when false", type: TYPES.rdsInstance, props: GOOD_RDS, violations: [] },
        { title: "passes when unset (the provider's default is false)", type: TYPES.rdsInstance, props: { ...GOOD_RDS, publiclyAccessible: undefined }, violations: [] },
        { title: "refuses true", type: TYPES.rdsInstance, props: { ...GOOD_RDS, publiclyAccessible: true }, violations: [/^publiclyAccessible: true must be false/] },
    ]);

    table("rdsDeletionProtection", rdsDeletionProtection, [
        { title: "passes when true", type: TYPES.rdsInstance, props: GOOD_RDS, violations: [] },
        { title: "advises when unset", type: TYPES.rdsInstance, props: { ...GOOD_RDS, deletionProtection: undefined }, violations: [/^deletionProtection: \(unset\) should be true/] },
    ]);

    table("rdsCopyTagsToSnapshot", rdsCopyTagsToSnapshot, [
        { title: "passes when true", type: TYPES.rdsInstance, props: GOOD_RDS, violations: [] },
        { title: "refuses false", type: TYPES.rdsInstance, props: { ...GOOD_RDS, copyTagsToSnapshot: false }, violations: [/^copyTagsToSnapshot: false must be true/] },
    ]);

    table("rdsFinalSnapshot", rdsFinalSnapshot, [
        { title: "passes when false", type: TYPES.rdsInstance, props: GOOD_RDS, violations: [] },
        { title: "passes when unset (the provider's default is false)", type: TYPES.rdsInstance, props: { ...GOOD_RDS, skipFinalSnapshot: undefined }, violations: [] },
        { title: "refuses true", type: TYPES.rdsInstance, props: { ...GOOD_RDS, skipFinalSnapshot: true }, violations: [/^skipFinalSnapshot: true must be false/] },
    ]);

    table("kmsKeyRotation", kmsKeyRotation, [
        { title: "passes with rotation on", type: TYPES.kmsKey, props: { customerMasterKeySpec: "SYMMETRIC_DEFAULT", enableKeyRotation: true }, violations: [] },
        { title: "refuses rotation off on a symmetric key", type: TYPES.kmsKey, props: { enableKeyRotation: false }, violations: [/^enableKeyRotation: false must be true/] },
        { title: "refuses rotation unset", type: TYPES.kmsKey, props: { customerMasterKeySpec: "SYMMETRIC_DEFAULT" }, violations: [/^enableKeyRotation: \(unset\) must be true/] },
        { title: "does not hold asymmetric keys to it (AWS cannot rotate them)", type: TYPES.kmsKey, props: { customerMasterKeySpec: "RSA_2048", keyUsage: "SIGN_VERIFY" }, violations: [] },
    ]);

    table("snsTopicEncrypted", snsTopicEncrypted, [
        { title: "passes with a key", type: TYPES.snsTopic, props: { kmsMasterKeyId: KEY_ARN }, violations: [] },
        { title: "refuses no key", type: TYPES.snsTopic, props: { name: "alerts" }, violations: [/^kmsMasterKeyId: \(unset\) must name the KMS key/] },
    ]);

    table("logGroupEncrypted", logGroupEncrypted, [
        { title: "passes with a key", type: TYPES.logGroup, props: { kmsKeyId: KEY_ARN }, violations: [] },
        { title: "refuses no key", type: TYPES.logGroup, props: { retentionInDays: 365 }, violations: [/^kmsKeyId: \(unset\) must be the ARN of the KMS key/] },
    ]);

    table("logGroupRetention (default minimum 365)", logGroupRetention(), [
        { title: "passes at 365 days", type: TYPES.logGroup, props: { retentionInDays: 365 }, violations: [] },
        { title: "passes at 0 (never expire)", type: TYPES.logGroup, props: { retentionInDays: 0 }, violations: [] },
        { title: "advises at 90 days", type: TYPES.logGroup, props: { retentionInDays: 90 }, violations: [/^retentionInDays: 90 should be set to at least 365/] },
        { title: "advises when unset", type: TYPES.logGroup, props: {}, violations: [/^retentionInDays: \(unset\) should be set/] },
    ]);
    table("logGroupRetention (minimum 30)", logGroupRetention(30), [
        { title: "passes at 90 days", type: TYPES.logGroup, props: { retentionInDays: 90 }, violations: [] },
        { title: "advises at 14 days", type: TYPES.logGroup, props: { retentionInDays: 14 }, violations: [/^retentionInDays: 14 should be set to at least 30/] },
    ]);

    const fn = (variables: Record<string, unknown>) => ({ environment: { variables } });
    table("lambdaCredentialNames", lambdaCredentialNames, [
        { title: "passes with names, numbers and secret ARNs", type: TYPES.lambdaFunction,
            props: fn({ DB_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:1:secret:x", VERIFY_DB_SECRET_ARN: "arn:x", KMS_KEY_ID: KEY_ARN, DB_HOST: "db.internal" }), violations: [] },
        { title: "passes without an environment", type: TYPES.lambdaFunction, props: {}, violations: [] },
        { title: "refuses PASSWORD, SECRET and TOKEN names in any case, without showing the value", type: TYPES.lambdaFunction,
            props: fn({ PGPASSWORD: "hunter2", client_secret: "s3cr3t", API_TOKEN: "t0k3n", DB_SECRET_NAME: "prod/db" }),
            violations: [/^environment\.variables\.API_TOKEN: \(value not shown\) looks like a credential/, /^environment\.variables\.DB_SECRET_NAME: /, /^environment\.variables\.PGPASSWORD: /, /^environment\.variables\.client_secret: /] },
        { title: "ignores other types", type: TYPES.logGroup, props: fn({ PASSWORD: "x" }), violations: [] },
    ]);
    it("lambdaCredentialNames never repeats a value in its messages", () => {
        // given a function with a password in its environment
        const props = fn({ DB_PASSWORD: "hunter2-very-secret" });
        // when
        const messages = lambdaCredentialNames(TYPES.lambdaFunction, props);
        // then
        assert.strictEqual(messages.length, 1);
        assert.ok(!messages.join("").includes("hunter2"), messages.join(""));
    });

    table("lambdaCredentialUrls", lambdaCredentialUrls, [
        { title: "passes with URLs without a password", type: TYPES.lambdaFunction, props: fn({ WEBHOOK: "https://hooks.example.com/x", DB: "postgres://app@db:5432/orders", API: "http://host:8080/a@b" }), violations: [] },
        { title: "refuses a URL with a password and masks it", type: TYPES.lambdaFunction, props: fn({ DATABASE: "postgres://app:hunter2@db:5432/orders" }),
            violations: [/^environment\.variables\.DATABASE: "postgres:\/\/app:\*\*\*@db:5432\/orders" holds a URL with a password/] },
        { title: "refuses a password with an empty user", type: TYPES.lambdaFunction, props: fn({ CACHE: "redis://:pw@cache:6379" }), violations: [/^environment\.variables\.CACHE: "redis:\/\/:\*\*\*@cache:6379"/] },
    ]);

    table("backupVaultEncrypted", backupVaultEncrypted, [
        { title: "passes with a key", type: TYPES.backupVault, props: { kmsKeyArn: KEY_ARN }, violations: [] },
        { title: "refuses the default key", type: TYPES.backupVault, props: { forceDestroy: false }, violations: [/^kmsKeyArn: \(unset\) must be the ARN of the customer-managed KMS key/] },
    ]);

    table("azurePostgresBackupRetention (default minimum 7)", azurePostgresBackupRetention(), [
        { title: "passes at 30 days", type: TYPES.azurePostgresServer, props: { backup: { backupRetentionDays: 30 } }, violations: [] },
        { title: "passes when unset (the service keeps 7)", type: TYPES.azurePostgresServer, props: {}, violations: [] },
        { title: "refuses 3 days", type: TYPES.azurePostgresServer, props: { backup: { backupRetentionDays: 3 } }, violations: [/^backup\.backupRetentionDays: 3 must be at least 7/] },
    ]);
    table("azurePostgresBackupRetention (minimum 14)", azurePostgresBackupRetention(14), [
        { title: "refuses the service default", type: TYPES.azurePostgresServer, props: { backup: {} }, violations: [/^backup\.backupRetentionDays: \(unset\) \(the service default, 7\) must be at least 14/] },
    ]);

    table("azurePostgresGeoRedundantBackup", azurePostgresGeoRedundantBackup, [
        { title: "passes when Enabled", type: TYPES.azurePostgresServer, props: { backup: { backupRetentionDays: 7, geoRedundantBackup: "Enabled" } }, violations: [] },
        { title: "refuses Disabled", type: TYPES.azurePostgresServer, props: { backup: { geoRedundantBackup: "Disabled" } }, violations: [/^backup\.geoRedundantBackup: "Disabled" must be "Enabled"/] },
        { title: "refuses unset (the service default is Disabled)", type: TYPES.azurePostgresServer, props: {}, violations: [/^backup\.geoRedundantBackup: \(unset\) must be "Enabled"/] },
    ]);

    table("storageAccountMinimumTls", storageAccountMinimumTls, [
        { title: "passes at TLS1_2", type: TYPES.azureStorageAccount, props: { minimumTlsVersion: "TLS1_2" }, violations: [] },
        { title: "passes at TLS1_3", type: TYPES.azureStorageAccount, props: { minimumTlsVersion: "TLS1_3" }, violations: [] },
        { title: "refuses TLS1_0", type: TYPES.azureStorageAccount, props: { minimumTlsVersion: "TLS1_0" }, violations: [/^minimumTlsVersion: "TLS1_0" must be "TLS1_2"/] },
        { title: "refuses unset (the service accepts TLS 1.0)", type: TYPES.azureStorageAccount, props: {}, violations: [/^minimumTlsVersion: \(unset\) must be "TLS1_2"/] },
    ]);

    table("storageAccountNoPublicBlobs", storageAccountNoPublicBlobs, [
        { title: "passes when false", type: TYPES.azureStorageAccount, props: { allowBlobPublicAccess: false }, violations: [] },
        { title: "passes when unset (the service default is false)", type: TYPES.azureStorageAccount, props: {}, violations: [] },
        { title: "refuses true", type: TYPES.azureStorageAccount, props: { allowBlobPublicAccess: true }, violations: [/^allowBlobPublicAccess: true must be false/] },
    ]);

    table("storageAccountHttpsOnly", storageAccountHttpsOnly, [
        { title: "passes when true", type: TYPES.azureStorageAccount, props: { enableHttpsTrafficOnly: true }, violations: [] },
        { title: "refuses false", type: TYPES.azureStorageAccount, props: { enableHttpsTrafficOnly: false }, violations: [/^enableHttpsTrafficOnly: false must be true/] },
    ]);
});

const DR_VAULT_ARN = "arn:aws:backup:eu-central-1:123456789012:backup-vault:dr";
const planRule = (ruleName: string, schedule: string | undefined, deleteAfter: number | undefined, copyDays?: number) => ({
    ruleName, targetVaultName: "main", ...(schedule !== undefined ? { schedule } : {}),
    ...(deleteAfter !== undefined ? { lifecycle: { deleteAfter } } : {}),
    copyActions: copyDays === undefined ? [] : [{ destinationVaultArn: DR_VAULT_ARN, lifecycle: { deleteAfter: copyDays } }],
});
const GFS_PLAN = { rules: [planRule("daily", "cron(0 3 * * ? *)", 7, 7), planRule("weekly", "cron(0 3 ? * SUN *)", 28, 28), planRule("monthly", "cron(0 3 1 * ? *)", 90, 90)] };

describe("policy rules on retention and immutability (pure, over plain inputs)", () => {
    table("backupPlanRetention (default minimum 7)", backupPlanRetention(), [
        { title: "passes rules and copies kept 7 days or more", type: TYPES.backupPlan, props: GFS_PLAN, violations: [] },
        { title: "passes a rule without deleteAfter (kept until deleted)", type: TYPES.backupPlan, props: { rules: [planRule("daily", "cron(0 3 * * ? *)", undefined)] }, violations: [] },
        { title: "refuses a rule that keeps recovery points one day, and a copy kept three", type: TYPES.backupPlan,
            props: { rules: [planRule("daily", "cron(0 3 * * ? *)", 1, 3)] },
            violations: [/^rules\[0\] \(daily\)\.lifecycle\.deleteAfter: 1 must be at least 7 \(days a recovery point is kept\)/, /^rules\[0\] \(daily\)\.copyActions\[0\]\.lifecycle\.deleteAfter: 3 must be at least 7/] },
        { title: "ignores other types", type: TYPES.backupVault, props: { rules: [planRule("daily", undefined, 1)] }, violations: [] },
    ]);
    table("backupPlanRetention (minimum 14)", backupPlanRetention(14), [
        { title: "refuses the 7-day daily rule and its copy", type: TYPES.backupPlan, props: GFS_PLAN, violations: [/^rules\[0\] \(daily\)\.lifecycle\.deleteAfter: 7 must be at least 14/, /copyActions\[0\]\.lifecycle\.deleteAfter: 7 must be at least 14/] },
    ]);

    table("backupPlanFrequency (default at least every 24 h)", backupPlanFrequency(), [
        { title: "passes a plan whose daily rule sits beside weekly and monthly ones", type: TYPES.backupPlan, props: GFS_PLAN, violations: [] },
        { title: "refuses a plan with a weekly rule only", type: TYPES.backupPlan, props: { rules: [planRule("weekly", "cron(0 3 ? * SUN *)", 28)] },
            violations: [/^rules\[\]\.schedule: every 7 d at best - some rule must take a recovery point at least every 24 h/] },
        { title: "refuses a plan without a scheduled rule", type: TYPES.backupPlan, props: { rules: [planRule("manual", undefined, 7)] },
            violations: [/^rules\[\]\.schedule: \(no scheduled rule\) - some rule must/] },
        { title: "names a schedule it cannot read", type: TYPES.backupPlan, props: { rules: [planRule("daily", "daily at 3", 7)] },
            violations: [/^rules\[0\] \(daily\)\.schedule: "daily at 3" cannot be read/] },
    ]);
    table("backupPlanFrequency (at least every hour)", backupPlanFrequency(1), [
        { title: "passes an hourly rule", type: TYPES.backupPlan, props: { rules: [planRule("hourly", "cron(5 * * * ? *)", 7)] }, violations: [] },
        { title: "refuses a daily plan", type: TYPES.backupPlan, props: GFS_PLAN, violations: [/^rules\[\]\.schedule: every 1 d at best - some rule must take a recovery point at least every 1 h/] },
    ]);

    table("backupPlanCopies", backupPlanCopies, [
        { title: "passes when every rule copies to the DR vault", type: TYPES.backupPlan, props: GFS_PLAN, violations: [] },
        { title: "refuses a rule without a copy", type: TYPES.backupPlan, props: { rules: [planRule("daily", "cron(0 3 * * ? *)", 7, 7), planRule("weekly", "cron(0 3 ? * SUN *)", 28)] },
            violations: [/^rules\[1\] \(weekly\)\.copyActions: \[\] must hold a copy to a vault in another region/] },
    ]);

    table("backupVaultLockRetention (default minimum 7)", backupVaultLockRetention(), [
        { title: "passes a 7-day minimum", type: TYPES.backupVaultLock, props: { backupVaultName: "v", minRetentionDays: 7, maxRetentionDays: 400 }, violations: [] },
        { title: "refuses a 1-day minimum", type: TYPES.backupVaultLock, props: { backupVaultName: "v", minRetentionDays: 1 }, violations: [/^minRetentionDays: 1 must be at least 7/] },
        { title: "refuses a lock without a minimum", type: TYPES.backupVaultLock, props: { backupVaultName: "v", maxRetentionDays: 400 }, violations: [/^minRetentionDays: \(unset\) must be at least 7/] },
    ]);

    const lock = (defaultRetention: Record<string, unknown>) => ({ bucket: "b", objectLockEnabled: "Enabled", rule: { defaultRetention } });
    table("s3ObjectLockRetention (default minimum 7)", s3ObjectLockRetention(), [
        { title: "passes COMPLIANCE for 14 days", type: TYPES.bucketObjectLock, props: lock({ mode: "COMPLIANCE", days: 14 }), violations: [] },
        { title: "passes GOVERNANCE for a year", type: TYPES.bucketObjectLock, props: lock({ mode: "GOVERNANCE", years: 1 }), violations: [] },
        { title: "refuses a 1-day retention", type: TYPES.bucketObjectLock, props: lock({ mode: "GOVERNANCE", days: 1 }), violations: [/^rule\.defaultRetention\.days: 1 must be at least 7/] },
        { title: "refuses a configuration without a default retention", type: TYPES.bucketObjectLockV2, props: { bucket: "b" },
            violations: [/^rule\.defaultRetention\.mode: \(unset\) must be "GOVERNANCE" or "COMPLIANCE"/, /^rule\.defaultRetention\.days: \(unset\) must be at least 7/] },
    ]);

    const lifecycle = (...rules: Record<string, unknown>[]) => ({ bucket: "b", rules });
    const tierRule = (days: number) => ({ id: "tier-daily", status: "Enabled", filter: { and: { prefix: "backups/", tags: { tier: "daily" } } }, expiration: { days } });
    table("s3LifecycleExpiration (default minimum 7, exports exempt)", s3LifecycleExpiration(), [
        { title: "passes a 14-day tier and a 1-day export rule", type: TYPES.bucketLifecycle,
            props: lifecycle(tierRule(14), { id: "exports", status: "Enabled", filter: { prefix: "exports/" }, expiration: { days: 1 } }), violations: [] },
        { title: "passes rules without expiration days, and disabled ones", type: TYPES.bucketLifecycle,
            props: lifecycle({ id: "noncurrent", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: 1 } }, { ...tierRule(1), status: "Disabled" }), violations: [] },
        { title: "refuses dumps that expire after one day", type: TYPES.bucketLifecycle, props: lifecycle(tierRule(1)),
            violations: [/^rules\[0\] \(tier-daily\)\.expiration\.days: 1 must be at least 7/] },
    ]);
    table("s3LifecycleExpiration (minimum 14, no exemption)", s3LifecycleExpiration(14, []), [
        { title: "refuses a 1-day export rule", type: TYPES.bucketLifecycle, props: lifecycle({ id: "exports", status: "Enabled", filter: { prefix: "exports/" }, expiration: { days: 1 } }),
            violations: [/^rules\[0\] \(exports\)\.expiration\.days: 1 must be at least 14/] },
    ]);

    const vault = (immutabilityState?: string, softDeleteState?: string) => ({
        properties: {
            storageSettings: [{ datastoreType: "VaultStore", type: "GeoRedundant" }],
            securitySettings: {
                ...(immutabilityState !== undefined ? { immutabilitySettings: { state: immutabilityState } } : {}),
                ...(softDeleteState !== undefined ? { softDeleteSettings: { state: softDeleteState, retentionDurationInDays: 14 } } : {}),
            },
        },
    });
    table("azureBackupVaultImmutable (locked, production)", azureBackupVaultImmutable(true), [
        { title: "passes Locked with soft delete always on", type: TYPES.azureBackupVault, props: vault("Locked", "AlwaysOn"), violations: [] },
        { title: "refuses Unlocked", type: TYPES.azureBackupVault, props: vault("Unlocked"), violations: [/^properties\.securitySettings\.immutabilitySettings\.state: "Unlocked" must be "Locked"$/] },
        { title: "refuses a vault without immutability and with soft delete off", type: TYPES.azureBackupVault, props: vault(undefined, "Off"),
            violations: [/^properties\.securitySettings\.immutabilitySettings\.state: \(unset\) must be "Locked"/, /^properties\.securitySettings\.softDeleteSettings\.state: "Off" must be "On" or "AlwaysOn"/] },
    ]);
    table("azureBackupVaultImmutable (elsewhere)", azureBackupVaultImmutable(false), [
        { title: "passes Unlocked", type: TYPES.azureBackupVault, props: vault("Unlocked"), violations: [] },
        { title: "refuses Disabled", type: TYPES.azureBackupVault, props: vault("Disabled"), violations: [/^properties\.securitySettings\.immutabilitySettings\.state: "Disabled" must be "Unlocked" or "Locked"/] },
    ]);
    const keyVault = (p: Record<string, unknown>) => ({ properties: { tenantId: "t", sku: { family: "A", name: "standard" }, ...p } });
    table("azureKeyVaultProtected", azureKeyVaultProtected, [
        { title: "passes purge protection with RBAC", type: TYPES.azureKeyVault, props: keyVault({ enablePurgeProtection: true, enableRbacAuthorization: true }), violations: [] },
        { title: "refuses a vault without purge protection (unset)", type: TYPES.azureKeyVault, props: keyVault({ enableRbacAuthorization: true }), violations: [/^properties\.enablePurgeProtection: \(unset\) must be true/] },
        { title: "refuses access policies and soft delete off", type: TYPES.azureKeyVault, props: keyVault({ enablePurgeProtection: true, enableSoftDelete: false }),
            violations: [/^properties\.enableSoftDelete: false must be true/, /^properties\.enableRbacAuthorization: \(unset\) must be true/] },
    ]);
    table("azureStorageCustomerManagedKey", azureStorageCustomerManagedKey, [
        { title: "passes a Key Vault key", type: TYPES.azureStorageAccount, props: { encryption: { keySource: "Microsoft.Keyvault" } }, violations: [] },
        { title: "refuses Microsoft-managed keys (unset)", type: TYPES.azureStorageAccount, props: {}, violations: [/^encryption\.keySource: \(unset\) must be "Microsoft\.Keyvault"/] },
    ]);
    table("azureBackupContainerImmutable", azureBackupContainerImmutable(["backups"]), [
        { title: "passes version-level immutability on the backup container", type: TYPES.azureBlobContainer, props: { containerName: "backups", immutableStorageWithVersioning: { enabled: true } }, violations: [] },
        { title: "refuses the backup container without it", type: TYPES.azureBlobContainer, props: { containerName: "backups" }, violations: [/^immutableStorageWithVersioning\.enabled: \(unset\) must be true on backup container "backups"/] },
        { title: "leaves other containers alone", type: TYPES.azureBlobContainer, props: { containerName: "exports" }, violations: [] },
    ]);
    const backupPolicy = (...durations: string[]) => ({ properties: { objectType: "BackupPolicy", policyRules: [
        { objectType: "AzureBackupRule", name: "BackupWeekly" },
        ...durations.map((duration, i) => ({ objectType: "AzureRetentionRule", name: `r${i}`, lifecycles: [{ deleteAfter: { objectType: "AbsoluteDeleteOption", duration } }] })),
    ] } });
    table("azureBackupPolicyRetention (7 days)", azureBackupPolicyRetention(7), [
        { title: "passes days, weeks, months and years of at least a week", type: TYPES.azureBackupPolicy, props: backupPolicy("P7D", "P1W", "P1M", "P10Y"), violations: [] },
        { title: "refuses 6 days and a duration it cannot read", type: TYPES.azureBackupPolicy, props: backupPolicy("P6D", "PT12H"),
            violations: [/^properties\.policyRules\[1\]\.lifecycles\[0\]\.deleteAfter\.duration: "P6D" must be at least 7 days/, /^properties\.policyRules\[2\]\.lifecycles\[0\]\.deleteAfter\.duration: "PT12H" must be at least 7 days/] },
    ]);
});

/** A stack resource for the stack rules' tables. */
function res(type: string, name: string, props: Record<string, unknown>, propertyDependencies: Record<string, string[]> = {}): StackResource {
    return { type, urn: `urn:pulumi:test::p::${type}::${name}`, name, props, propertyDependencies };
}

const urnOf = (type: string, name: string): string => `urn:pulumi:test::p::${type}::${name}`;

describe("policy stack rules (pure, over plain resources)", () => {
    const mainBucket = res(TYPES.bucket, "main", { id: "main-bucket", bucket: "main-bucket" });
    const logBucket = res(TYPES.bucket, "logs", { id: "logs-bucket", bucket: "logs-bucket" });
    const logging = res(TYPES.bucketLogging, "logging", { bucket: "main-bucket", targetBucket: "logs-bucket", targetPrefix: "s3-access/" });
    const sse = (name: string, bucket: unknown, rules: unknown, deps: Record<string, string[]> = {}) => res(TYPES.bucketEncryption, name, { bucket, rules }, deps);
    const AES = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }];

    describe("s3BucketKmsEncryption", () => {
        it("passes SSE-KMS on the data bucket and SSE-S3 on the access-log target", () => {
            // given the two buckets as the components declare them
            const stack = [mainBucket, logBucket, logging, sse("main-sse", "main-bucket", KMS_RULES), sse("logs-sse", "logs-bucket", AES)];
            // when
            const findings = s3BucketKmsEncryption(stack);
            // then
            assert.deepStrictEqual(findings, { violations: [], undecided: [] });
        });
        it("refuses SSE-S3 on a bucket that receives no access logs", () => {
            // given SSE-S3 on the data bucket
            const stack = [mainBucket, logBucket, logging, sse("main-sse", "main-bucket", AES)];
            // when
            const findings = s3BucketKmsEncryption(stack);
            // then
            assert.deepStrictEqual(findings.violations.map((v) => v.urn), [urnOf(TYPES.bucketEncryption, "main-sse"), urnOf(TYPES.bucketEncryption, "main-sse")]);
            assert.match(findings.violations[0]?.message ?? "", /sseAlgorithm: "AES256" must be "aws:kms"/);
        });
        it("recognises an access-log target through the engine's property dependencies while the ids are unknown (preview)", () => {
            // given a preview: the bucket ids are unknown, the dependencies are recorded
            const stack = [
                res(TYPES.bucket, "logs", { id: UNKNOWN, bucket: "logs-bucket" }),
                res(TYPES.bucketLogging, "logging", { targetBucket: UNKNOWN }, { targetBucket: [urnOf(TYPES.bucket, "logs")] }),
                sse("logs-sse", UNKNOWN, AES, { bucket: [urnOf(TYPES.bucket, "logs")] }),
            ];
            // when
            const findings = s3BucketKmsEncryption(stack);
            // then
            assert.deepStrictEqual(findings, { violations: [], undecided: [] });
        });
        it("refuses SSE-S3 in a preview when the property dependencies show the bucket receives no access logs", () => {
            // given a preview: ids unknown, the data bucket's configuration on SSE-S3
            const stack = [
                res(TYPES.bucketLogging, "logging", { targetBucket: UNKNOWN }, { targetBucket: [urnOf(TYPES.bucket, "logs")] }),
                sse("data-sse", UNKNOWN, AES, { bucket: [urnOf(TYPES.bucket, "data")] }),
            ];
            // when
            const findings = s3BucketKmsEncryption(stack);
            // then
            assert.deepStrictEqual(findings.undecided, []);
            assert.deepStrictEqual([...new Set(findings.violations.map((v) => v.urn))], [urnOf(TYPES.bucketEncryption, "data-sse")]);
        });
        it("leaves undecided what it cannot tell during a preview, and judges the rest", () => {
            // given a key ARN not known yet, and an SSE-S3 bucket whose identity is not known yet
            const stack = [
                logging,
                sse("main-sse", "main-bucket", [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: UNKNOWN } }]),
                sse("other-sse", UNKNOWN, AES),
                sse("third-sse", "third-bucket", AES),
            ];
            // when
            const findings = s3BucketKmsEncryption(stack);
            // then
            assert.deepStrictEqual(findings.undecided, [urnOf(TYPES.bucketEncryption, "main-sse"), urnOf(TYPES.bucketEncryption, "other-sse")]);
            assert.ok(findings.violations.length > 0 && findings.violations.every((v) => v.urn === urnOf(TYPES.bucketEncryption, "third-sse")));
        });
    });

    describe("s3AccessLogBucketEncryption", () => {
        it("notes the SSE-S3 exception on the access-log target only", () => {
            // given
            const stack = [mainBucket, logBucket, logging, sse("main-sse", "main-bucket", KMS_RULES), sse("logs-sse", "logs-bucket", AES)];
            // when
            const findings = s3AccessLogBucketEncryption(stack);
            // then
            assert.deepStrictEqual(findings.violations.map((v) => v.urn), [urnOf(TYPES.bucketEncryption, "logs-sse")]);
            assert.match(findings.violations[0]?.message ?? "", /SSE-S3 \("AES256"\) accepted instead of SSE-KMS/);
        });
        it("warns when an access-log target uses SSE-KMS, which stops log delivery", () => {
            // given a log bucket on SSE-KMS, named by the bucket's inline logging
            const stack = [res(TYPES.bucketV2, "old", { id: "old", logging: { targetBucket: "logs-bucket" } }), sse("logs-sse", "logs-bucket", KMS_RULES)];
            // when
            const findings = s3AccessLogBucketEncryption(stack);
            // then
            assert.match(findings.violations[0]?.message ?? "", /sseAlgorithm: \["aws:kms"\] must be "AES256"/);
        });
    });

    describe("s3BucketControlsDeclared", () => {
        const controls = (bucket: unknown, deps: Record<string, string[]> = {}) => [
            res(TYPES.bucketVersioning, "v", { bucket, versioningConfiguration: { status: "Enabled" } }, deps),
            sse("e", bucket, KMS_RULES, deps),
            res(TYPES.publicAccessBlock, "p", { bucket, ...ALL_BLOCKS }, deps),
        ];
        it("passes a bucket with its three controls", () => {
            // given
            const stack = [mainBucket, ...controls("main-bucket")];
            // when / then
            assert.deepStrictEqual(s3BucketControlsDeclared(stack), { violations: [], undecided: [] });
        });
        it("passes through the property dependencies when the id is unknown (preview)", () => {
            // given
            const stack = [res(TYPES.bucket, "main", { id: UNKNOWN, bucket: "main-bucket" }), ...controls(UNKNOWN, { bucket: [urnOf(TYPES.bucket, "main")] })];
            // when / then
            assert.deepStrictEqual(s3BucketControlsDeclared(stack), { violations: [], undecided: [] });
        });
        it("names every control a bucket lacks", () => {
            // given the controls of another bucket only
            const stack = [mainBucket, logBucket, ...controls("logs-bucket")];
            // when
            const findings = s3BucketControlsDeclared(stack);
            // then
            assert.deepStrictEqual(findings.violations.map((v) => v.urn), Array(3).fill(urnOf(TYPES.bucket, "main")));
            assert.match(findings.violations.map((v) => v.message).join("\n"), /versioning configuration[\s\S]*default-encryption configuration[\s\S]*public access block/);
        });
    });

    describe("backupVaultLocked", () => {
        const vault = (name: string, props: Record<string, unknown>) => res(TYPES.backupVault, name, props);
        const lock = (name: string, backupVaultName: unknown, deps: Record<string, string[]> = {}) =>
            res(TYPES.backupVaultLock, name, { backupVaultName, minRetentionDays: 7, maxRetentionDays: 400 }, deps);
        it("passes a vault locked by name", () => {
            // given
            const stack = [vault("v", { id: "v-123", name: "v-123", kmsKeyArn: KEY_ARN }), lock("l", "v-123")];
            // when / then
            assert.deepStrictEqual(backupVaultLocked(stack), { violations: [], undecided: [] });
        });
        it("passes a vault locked through the property dependencies while names are unknown", () => {
            // given
            const stack = [vault("v", { id: UNKNOWN, name: UNKNOWN }), lock("l", UNKNOWN, { backupVaultName: [urnOf(TYPES.backupVault, "v")] })];
            // when / then
            assert.deepStrictEqual(backupVaultLocked(stack), { violations: [], undecided: [] });
        });
        it("refuses a vault without a lock while another vault has one", () => {
            // given
            const stack = [vault("v", { name: "v-123" }), vault("dr", { name: "dr-456" }), lock("l", "v-123")];
            // when
            const findings = backupVaultLocked(stack);
            // then
            assert.deepStrictEqual(findings.violations.map((v) => v.urn), [urnOf(TYPES.backupVault, "dr")]);
            assert.match(findings.violations[0]?.message ?? "", /^backup vault dr: \(no lock\) - an aws\.backup\.VaultLockConfiguration must be declared/);
        });
        it("leaves a vault undecided when a lock's vault name is unknown and no dependency tells", () => {
            // given
            const stack = [vault("v", { name: "v-123" }), lock("l", UNKNOWN)];
            // when / then
            assert.deepStrictEqual(backupVaultLocked(stack), { violations: [], undecided: [urnOf(TYPES.backupVault, "v")] });
        });
    });
});

describe("policy stack rules on immutability and copies (pure, over plain resources)", () => {
    const bucket = (name: string, objectLockEnabled: unknown) => res(TYPES.bucket, name, { id: `${name}-bucket`, bucket: `${name}-bucket`, arn: `arn:aws:s3:::${name}-bucket`, objectLockEnabled });
    const logging = res(TYPES.bucketLogging, "logging", { bucket: "main-bucket", targetBucket: "logs-bucket" });
    const objectLock = (name: string, target: unknown, deps: Record<string, string[]> = {}) =>
        res(TYPES.bucketObjectLock, name, { bucket: target, objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: "COMPLIANCE", days: 14 } } }, deps);
    const replication = (source: string, destinationArn: string, status = "Enabled") =>
        res(TYPES.bucketReplication, `${source}-replication`, { bucket: source, role: "arn:aws:iam::1:role/r", rules: [{ id: "all", status, destination: { bucket: destinationArn } }] });

    describe("s3BackupBucketObjectLock", () => {
        it("passes a locked backup bucket beside an access-log bucket without Object Lock", () => {
            // given
            const stack = [bucket("main", true), bucket("logs", false), logging, objectLock("main-lock", "main-bucket")];
            // when / then
            assert.deepStrictEqual(s3BackupBucketObjectLock()(stack), { violations: [], undecided: [] });
        });
        it("refuses a backup bucket created without Object Lock, and one without a configuration", () => {
            // given
            const stack = [bucket("main", false), bucket("other", true), bucket("logs", false), logging];
            // when
            const findings = s3BackupBucketObjectLock()(stack);
            // then
            assert.deepStrictEqual(findings.violations.map((v) => v.message), [
                "bucket main: objectLockEnabled false must be true (Object Lock can only be switched on when the bucket is created)",
                "bucket other: (no Object Lock configuration) - an aws.s3.BucketObjectLockConfiguration with a default retention must be declared for it",
            ]);
        });
        it("exempts the buckets named in its configuration, and recognises a configuration through dependencies (preview)", () => {
            // given
            const stack = [bucket("main", true), bucket("reports", false), objectLock("main-lock", UNKNOWN, { bucket: [urnOf(TYPES.bucket, "main")] })];
            // when / then
            assert.deepStrictEqual(s3BackupBucketObjectLock(["reports"])(stack), { violations: [], undecided: [] });
        });
    });

    describe("s3BackupBucketReplication", () => {
        it("passes a backup bucket replicated to its replica, which needs no replication itself", () => {
            // given
            const stack = [bucket("main", true), bucket("replica", true), bucket("logs", false), logging, replication("main-bucket", "arn:aws:s3:::replica-bucket")];
            // when / then
            assert.deepStrictEqual(s3BackupBucketReplication()(stack), { violations: [], undecided: [] });
        });
        it("refuses a backup bucket without replication, or with its only rule disabled", () => {
            // given
            const stack = [bucket("main", true), bucket("replica", true), replication("main-bucket", "arn:aws:s3:::replica-bucket", "Disabled")];
            // when
            const findings = s3BackupBucketReplication()(stack);
            // then
            assert.deepStrictEqual(findings.violations.map((v) => v.urn), [urnOf(TYPES.bucket, "main")]);
            assert.match(findings.violations[0]?.message ?? "", /^bucket main: \(not replicated\) - an aws\.s3\.BucketReplicationConfig with an enabled rule/);
        });
    });

    describe("rdsBackupsCrossRegion", () => {
        const instance = res(TYPES.rdsInstance, "orders", { arn: "arn:aws:rds:eu-west-1:1:db:orders", tags: { "pg-backup-stack:backup": "aws-backup" } });
        const plan = (props: Record<string, unknown>) => res(TYPES.backupPlan, "plan", { id: "plan-1", ...props });
        const selection = res(TYPES.backupSelection, "selection", { planId: "plan-1", selectionTags: [{ type: "STRINGEQUALS", key: "pg-backup-stack:backup", value: "aws-backup" }] });
        it("passes an instance whose automated backups are replicated", () => {
            // given
            const stack = [instance, res(TYPES.rdsBackupReplication, "dr", { sourceDbInstanceArn: "arn:aws:rds:eu-west-1:1:db:orders", retentionPeriod: 7 })];
            // when / then
            assert.deepStrictEqual(rdsBackupsCrossRegion(stack), { violations: [], undecided: [] });
        });
        it("passes an instance selected by tag by a plan that copies every rule to another region", () => {
            // given
            const stack = [instance, plan(GFS_PLAN), selection];
            // when / then
            assert.deepStrictEqual(rdsBackupsCrossRegion(stack), { violations: [], undecided: [] });
        });
        it("refuses an instance only selected by a plan without copies", () => {
            // given
            const stack = [instance, plan({ rules: [planRule("daily", "cron(0 3 * * ? *)", 7)] }), selection];
            // when
            const findings = rdsBackupsCrossRegion(stack);
            // then
            assert.deepStrictEqual(findings.violations.map((v) => v.urn), [urnOf(TYPES.rdsInstance, "orders")]);
            assert.match(findings.violations[0]?.message ?? "", /^rds instance orders: \(no cross-region backups\)/);
        });
    });
});

// ------------------------------------------------------------------------------------------------
// The pack's policies as the SDK calls them.

class NotApplicable extends Error {}

type PolicyConfig = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

interface Evaluation {
    readonly applicable: boolean;
    readonly messages: readonly string[];
}

const OPTIONS = { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] };

function pulumiTypeOf(resourceClass: unknown): string | undefined {
    return (resourceClass as { __pulumiType?: string }).__pulumiType;
}

/** Runs a resource policy's validations as the SDK does: props through the unknown-checking proxy, the policy's own config. */
async function evaluateResource(policy: ResourceValidationPolicy, type: string, props: Record<string, unknown>, config: PolicyConfig = {}): Promise<Evaluation> {
    const proxied = unknownCheckingProxy(props) as Record<string, unknown>;
    const args = {
        type, props: proxied, urn: `urn:pulumi:test::p::${type}::r`, name: "r", opts: OPTIONS, stackTags: new Map<string, string>(),
        isType: (cls: unknown) => pulumiTypeOf(cls) === type,
        asType: (cls: unknown) => (pulumiTypeOf(cls) === type ? proxied : undefined),
        getConfig: () => ({ ...(config[policy.name] ?? {}) }),
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    } as unknown as ResourceValidationArgs;
    const validations = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    const messages: string[] = [];
    let applicable = false;
    for (const validate of validations) {
        try {
            await validate(args, (message) => messages.push(message));
            applicable = true;
        } catch (err) {
            if (!(err instanceof NotApplicable)) throw err;
        }
    }
    return { applicable, messages };
}

/** Runs a stack policy over resources given as the engine gives them (outputs and URNs). */
async function evaluateStack(policy: StackValidationPolicy, resources: readonly PolicyResource[], config: PolicyConfig = {}): Promise<{ applicable: boolean; messages: { urn?: string; message: string }[] }> {
    const messages: { urn?: string; message: string }[] = [];
    try {
        await policy.validateStack({
            resources: [...resources], stackTags: new Map(),
            getConfig: <T extends object>() => ({ ...(config[policy.name] ?? {}) }) as T,
            notApplicable: (reason?: string): never => {
                throw new NotApplicable(reason);
            },
        }, (message, urn) => messages.push({ message, ...(urn !== undefined ? { urn } : {}) }));
    } catch (err) {
        if (!(err instanceof NotApplicable)) throw err;
        return { applicable: false, messages };
    }
    return { applicable: true, messages };
}

/** A stack resource as the SDK hands it to a stack policy (without dependencies: the mock engine records none). */
function policyResource(type: string, urn: string, props: Record<string, unknown>): PolicyResource {
    const proxied = unknownCheckingProxy(props) as Record<string, unknown>;
    return {
        type, urn, name: urn.split("::").slice(3).join("::"), props: proxied, opts: OPTIONS, dependencies: [], propertyDependencies: {},
        isType: (cls: unknown) => pulumiTypeOf(cls) === type,
        asType: (cls: unknown) => (pulumiTypeOf(cls) === type ? proxied : undefined),
    } as unknown as PolicyResource;
}

function policyNamed(name: string): ResourceValidationPolicy & StackValidationPolicy {
    const policy = policies.find((p) => p.name === name);
    assert.ok(policy, `no policy ${name}`);
    return policy as ResourceValidationPolicy & StackValidationPolicy;
}

describe("the policy pack's policies (as the SDK calls them)", () => {
    it("have unique names, a description and an enforcement level each", () => {
        // given the pack's policies
        const names = policies.map((p) => p.name);
        // when / then
        assert.strictEqual(new Set(names).size, names.length, names.join(", "));
        for (const p of policies) {
            assert.ok(p.description.length > 10, p.name);
            assert.ok(p.enforcementLevel === "mandatory" || p.enforcementLevel === "advisory", p.name);
            assert.ok(("validateResource" in p) !== ("validateStack" in p), `${p.name}: exactly one of validateResource / validateStack`);
        }
    });

    it("rds-backup-retention reads minRdsRetentionDays from the policy config, 7 without it", async () => {
        // given an instance with 7 days of backups
        const policy = policyNamed("rds-backup-retention");
        const props = { ...GOOD_RDS, backupRetentionPeriod: 7 };
        // when
        const byDefault = await evaluateResource(policy, TYPES.rdsInstance, props);
        const strict = await evaluateResource(policy, TYPES.rdsInstance, props, { "rds-backup-retention": { minRdsRetentionDays: 14 } });
        // then
        assert.deepStrictEqual(byDefault.messages, []);
        assert.deepStrictEqual(strict.messages, ["backupRetentionPeriod: 7 must be at least 14 (days of automated backups and point-in-time recovery)"]);
    });

    it("refuses a configured threshold that is not a whole number of days, naming the key", async () => {
        // given
        const policy = policyNamed("cloudwatch-log-group-retention");
        // when / then
        await assert.rejects(evaluateResource(policy, TYPES.logGroup, { retentionInDays: 30 }, { "cloudwatch-log-group-retention": { minLogRetentionDays: "a year" } }),
            /policy configuration minLogRetentionDays: "a year" is not allowed; give a whole number of days/);
    });

    it("makes geo-redundant backup mandatory in prod and advisory elsewhere, from the environment config", async () => {
        // given a server without geo-redundant backup
        const props = { backup: { backupRetentionDays: 7, geoRedundantBackup: "Disabled" } };
        const mandatory = policyNamed("azure-postgres-geo-redundant-backup");
        const advisory = policyNamed("azure-postgres-geo-redundant-backup-nonprod");
        const staging = { [mandatory.name]: { environment: "staging" }, [advisory.name]: { environment: "staging" } };
        // when
        const prod = [await evaluateResource(mandatory, TYPES.azurePostgresServer, props), await evaluateResource(advisory, TYPES.azurePostgresServer, props)];
        const nonProd = [await evaluateResource(mandatory, TYPES.azurePostgresServer, props, staging), await evaluateResource(advisory, TYPES.azurePostgresServer, props, staging)];
        // then
        assert.deepStrictEqual(prod.map((e) => [e.applicable, e.messages.length]), [[true, 1], [false, 0]]);
        assert.deepStrictEqual(nonProd.map((e) => [e.applicable, e.messages.length]), [[false, 0], [true, 1]]);
        assert.strictEqual(mandatory.enforcementLevel, "mandatory");
        assert.strictEqual(advisory.enforcementLevel, "advisory");
    });

    it("enforces cross-region copies in prod and advises them elsewhere, from the environment config", async () => {
        // given a plan without copies and a bucket without replication, and each policy with its -nonprod twin
        const plan = { rules: [planRule("daily", "cron(0 3 * * ? *)", 7)] };
        const bucket = policyResource(TYPES.bucket, "urn:pulumi:s::p::aws:s3/bucket:Bucket::main", { id: "main", bucket: "main", objectLockEnabled: true });
        const names = ["backup-plan-cross-region-copy", "backup-plan-cross-region-copy-nonprod", "s3-backup-bucket-replication", "s3-backup-bucket-replication-nonprod"];
        const [copies, copiesAdvised, replication, replicationAdvised] = names.map(policyNamed);
        assert.ok(copies && copiesAdvised && replication && replicationAdvised);
        const staging = Object.fromEntries(names.map((n) => [n, { environment: "staging" }]));
        const run = (config: PolicyConfig = {}) => Promise.all([
            evaluateResource(copies, TYPES.backupPlan, plan, config), evaluateResource(copiesAdvised, TYPES.backupPlan, plan, config),
            evaluateStack(replication, [bucket], config), evaluateStack(replicationAdvised, [bucket], config),
        ]);
        // when
        const prod = await run();
        const nonProd = await run(staging);
        // then
        assert.deepStrictEqual(prod.map((e) => [e.applicable, e.messages.length]), [[true, 1], [false, 0], [true, 1], [false, 0]]);
        assert.deepStrictEqual(nonProd.map((e) => [e.applicable, e.messages.length]), [[false, 0], [true, 1], [false, 0], [true, 1]]);
        assert.deepStrictEqual([copies, copiesAdvised].map((p) => p.enforcementLevel), ["mandatory", "advisory"]);
    });

    it("reads the retention minimums of policy/config/prod.json", async () => {
        // given prod's policy config, and a plan and a lifecycle that keep backups 7 days
        const prodConfig = JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "config", "prod.json"), "utf8")) as PolicyConfig;
        const lifecycle = { rules: [{ id: "tier-daily", status: "Enabled", filter: { prefix: "backups/" }, expiration: { days: 7 } }] };
        // when
        const plan = await evaluateResource(policyNamed("backup-plan-retention"), TYPES.backupPlan, GFS_PLAN, prodConfig);
        const expiry = await evaluateResource(policyNamed("s3-lifecycle-expiration"), TYPES.bucketLifecycle, lifecycle, prodConfig);
        const byDefault = await evaluateResource(policyNamed("s3-lifecycle-expiration"), TYPES.bucketLifecycle, lifecycle);
        // then
        assert.deepStrictEqual(plan.messages.map((m) => m.split(":")[0]), ["rules[0] (daily).lifecycle.deleteAfter", "rules[0] (daily).copyActions[0].lifecycle.deleteAfter"]);
        assert.deepStrictEqual(expiry.messages, ["rules[0] (tier-daily).expiration.days: 7 must be at least 14 (days a backup is kept before it expires)"]);
        assert.deepStrictEqual(byDefault.messages, []);
    });

    it("refuses a list setting that is not a list of strings, naming the key", async () => {
        // given / when / then
        await assert.rejects(evaluateResource(policyNamed("s3-lifecycle-expiration"), TYPES.bucketLifecycle, { rules: [] }, { "s3-lifecycle-expiration": { exemptPrefixes: "exports/" } }),
            /policy configuration exemptPrefixes: "exports\/" is not allowed; give a list of strings/);
    });

    it("does not apply a resource policy to other types", async () => {
        // given a log group
        // when
        const result = await evaluateResource(policyNamed("rds-storage-encrypted"), TYPES.logGroup, { storageEncrypted: false });
        // then
        assert.deepStrictEqual(result, { applicable: false, messages: [] });
    });

    it("judges credential names in a preview even when values are not known yet", async () => {
        // given a function whose variable values are unknown during the preview
        const props = { environment: { variables: { DB_PASSWORD: pulumi.runtime.unknownValue, BUCKET: pulumi.runtime.unknownValue } } };
        const policy = policyNamed("lambda-no-credential-in-environment");
        // when the name check runs and the value check meets an unknown
        await assert.rejects(evaluateResource(policy, TYPES.lambdaFunction, props), (err: Error) => /can't be known during preview/.test(err.message));
        const names = await evaluateResource({ ...policy, validateResource: (policy.validateResource as unknown[])[0] } as ResourceValidationPolicy, TYPES.lambdaFunction, props);
        // then the names were still judged
        assert.deepStrictEqual(names.messages.map((m) => m.split(":")[0]), ["environment.variables.DB_PASSWORD"]);
    });

    it("reports stack violations at the resource's URN and rethrows the unknown-value error for what it could not judge", async () => {
        // given a preview: SSE-S3 on a data bucket, and a configuration whose key ARN is not known yet
        const sseType = TYPES.bucketEncryption;
        const resources = [
            policyResource(sseType, "urn:pulumi:s::p::x::plain", { bucket: "data", rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }),
            policyResource(sseType, "urn:pulumi:s::p::x::pending", { bucket: "other", rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: pulumi.runtime.unknownValue } }] }),
        ];
        const reported: { urn?: string; message: string }[] = [];
        // when
        const run = async () => policyNamed("s3-bucket-kms-encryption").validateStack({
            resources, stackTags: new Map(), getConfig: <T extends object>() => ({}) as T,
            notApplicable: (reason?: string): never => {
                throw new NotApplicable(reason);
            },
        }, (message, urn) => reported.push({ message, ...(urn !== undefined ? { urn } : {}) }));
        // then the judged one is reported at its URN, and the SDK gets its unknown-value error for the other
        await assert.rejects(run, (err: Error) => /kmsMasterKeyId can't be known during preview/.test(err.message));
        assert.deepStrictEqual(reported.map((r) => r.urn), ["urn:pulumi:s::p::x::plain", "urn:pulumi:s::p::x::plain"]);
    });
});

// ------------------------------------------------------------------------------------------------
// The strong test: the project's own stacks satisfy its own policy pack.

const SECRET_KEY = pulumi.runtime.specialSigKey;

/** Values as a policy receives them: secrets unwrapped. */
function unsecret(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(unsecret);
    if (typeof value === "object" && value !== null) {
        const rec = value as Record<string, unknown>;
        if (rec[SECRET_KEY] === pulumi.runtime.specialSecretSig) return unsecret(rec["value"]);
        return Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, unsecret(v)]));
    }
    return value;
}

interface RegisteredResource {
    readonly urn: string;
    readonly id: string | null;
    readonly state: Record<string, unknown>;
}

/** Every resource the mock engine holds after the program ran, as a stack policy receives it: its outputs, with its id. */
function engineView(): PolicyResource[] {
    const monitor = pulumi.runtime.getMonitor() as unknown as { getRegisteredResources?: () => Map<string, RegisteredResource> };
    assert.strictEqual(typeof monitor.getRegisteredResources, "function", "the mock monitor lists its resources");
    return [...(monitor.getRegisteredResources?.() ?? new Map<string, RegisteredResource>()).values()].map((r) => {
        const type = r.urn.split("::")[2]?.split("$").pop() ?? "";
        const outputs = unsecret(r.state) as Record<string, unknown>;
        return policyResource(type, r.urn, { ...outputs, ...(r.id !== null && r.id !== "" ? { id: r.id } : {}) });
    });
}

/** The policy config CI passes for a stack (policy/config/<stack>.json), with the stack's environment for the policies that read it. */
function policyConfigFor(stack: string, config: StackConfig): PolicyConfig {
    const file = path.join(ROOT, "policy", "config", `${stack}.json`);
    const fromFile = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, Record<string, unknown>> : {};
    for (const [name, entry] of Object.entries(fromFile)) {
        assert.ok(policies.some((p) => p.name === name), `${file}: no policy named ${name}`);
        if ("environment" in entry) assert.strictEqual(entry["environment"], config.environment, `${file}: ${name}.environment differs from the stack's environment`);
    }
    const out: Record<string, Record<string, unknown>> = { ...fromFile };
    const readsEnvironment = policies.filter((p) => p.configSchema?.properties !== undefined && "environment" in p.configSchema.properties).map((p) => p.name);
    for (const name of readsEnvironment) out[name] = { ...(out[name] ?? {}), environment: config.environment };
    return out;
}

interface StackRun {
    readonly stack: string;
    readonly config: StackConfig;
    readonly recorded: readonly RecordedResource[];
    readonly engine: readonly PolicyResource[];
    readonly policyConfig: PolicyConfig;
}

async function runStack(file: string): Promise<StackRun> {
    const stack = path.basename(file).replace(/^Pulumi\.|\.yaml$/g, "");
    const mocks = setupMocks("pg-backup-stack", stack);
    const result = validateConfig(fromPulumiConfig(engineConfig(file).config));
    assert.ok(result.config, `${file}: ${result.findings.map((f) => `${f.path}: ${f.message}`).join("; ")}`);
    const { deployStack } = await import("../../../program/deploy");
    const outputs = deployStack(result.config);
    await unwrap(outputs.backupBucket);
    await settle(mocks);
    return { stack, config: result.config, recorded: [...mocks.resources], engine: engineView(), policyConfig: policyConfigFor(stack, result.config) };
}

const mandatory = policies.filter((p) => p.enforcementLevel === "mandatory");
const resourcePolicies = (list: typeof policies) => list.filter((p): p is ResourceValidationPolicy => "validateResource" in p);
const stackPolicies = (list: typeof policies) => list.filter((p): p is StackValidationPolicy => "validateStack" in p);

/** Every mandatory violation in a stack run, as `policy: type name: message`. */
async function mandatoryViolations(run: StackRun, applied?: Set<string>): Promise<string[]> {
    const out: string[] = [];
    for (const policy of resourcePolicies(mandatory)) {
        for (const r of run.recorded) {
            const result = await evaluateResource(policy, r.type, unsecret(r.inputs) as Record<string, unknown>, run.policyConfig);
            if (result.applicable) applied?.add(policy.name);
            out.push(...result.messages.map((m) => `${policy.name}: ${r.type} ${r.name}: ${m}`));
        }
    }
    for (const policy of stackPolicies(mandatory)) {
        const result = await evaluateStack(policy, run.engine, run.policyConfig);
        out.push(...result.messages.map((m) => `${policy.name}: ${m.urn ?? "(stack)"}: ${m.message}`));
    }
    return out;
}

describe("the shipped stacks satisfy the policy pack (whole program under mocks)", function () {
    this.timeout(120_000);
    const files = shippedStackFiles();
    const runs = new Map<string, StackRun>();

    before(async () => {
        for (const file of files) runs.set(file, await runStack(file));
    });

    for (const file of files) {
        it(`${path.relative(ROOT, file)}: no mandatory policy is violated by any resource`, async () => {
            // given the stack declared under mocks
            const run = runs.get(file);
            assert.ok(run, `${file} ran`);
            // when every mandatory policy runs on every recorded resource, and the stack policies on the stack
            const violations = await mandatoryViolations(run);
            // then
            assert.deepStrictEqual(violations, []);
        });
    }

    it("every mandatory resource policy met a resource it governs in some stack (but those of types no stack declares yet)", async () => {
        // given every stack declared under mocks, and the policies written ahead of their resources
        const ahead: string[] = [];
        const applied = new Set<string>();
        // when
        for (const run of runs.values()) await mandatoryViolations(run, applied);
        // then
        assert.deepStrictEqual(resourcePolicies(mandatory).map((p) => p.name).filter((n) => !applied.has(n)), ahead);
    });

    it("the same check finds a mandatory violation planted in a shipped stack", async () => {
        // given the prod stack with the DR vault's lock removed, an instance that copies no tags, and the access logs sent elsewhere
        const prod = [...runs.values()].find((r) => r.stack === "prod");
        assert.ok(prod, "prod ran");
        const instance = prod.recorded.find((r) => r.type === TYPES.rdsInstance);
        assert.ok(instance);
        const recorded = prod.recorded.map((r) => (r === instance ? { ...r, inputs: { ...r.inputs, copyTagsToSnapshot: false } } : r));
        const engine = prod.engine
            .filter((r) => !(r.type === TYPES.backupVaultLock && r.name.endsWith("dr-vault-lock")))
            .map((r) => (r.type === TYPES.bucketLogging ? policyResource(r.type, r.urn, { ...(r.props as Record<string, unknown>), targetBucket: "elsewhere" }) : r));
        // when
        const violations = await mandatoryViolations({ ...prod, recorded, engine });
        // then
        // (the log bucket, no longer a log target, now counts as a bucket that holds backups)
        assert.deepStrictEqual(violations.map((v) => v.split(":")[0]).sort(), [
            "backup-vault-locked", "rds-copy-tags-to-snapshot", "s3-backup-bucket-object-lock", "s3-backup-bucket-replication",
            "s3-bucket-kms-encryption", "s3-bucket-kms-encryption",
        ]);
        assert.ok(violations.some((v) => /copyTagsToSnapshot: false must be true/.test(v)), violations.join("\n"));
    });

    it("the same check finds short retention, a missing lock and missing copies planted in prod", async () => {
        // given the prod stack with a one-day daily rule and no copies, a one-day Object Lock, and no RDS backup replication
        const prod = [...runs.values()].find((r) => r.stack === "prod");
        assert.ok(prod, "prod ran");
        const shorten = (type: string, props: Record<string, unknown>): Record<string, unknown> => {
            if (type === TYPES.backupPlan) {
                const rules = (props["rules"] as Record<string, unknown>[]).map((rule) => ({ ...rule, copyActions: [] }));
                return { ...props, rules: rules.map((rule, i) => (i === 0 ? { ...rule, lifecycle: { deleteAfter: 1 } } : rule)) };
            }
            if (type === TYPES.bucketObjectLock) return { ...props, rule: { defaultRetention: { mode: "COMPLIANCE", days: 1 } } };
            return props;
        };
        const recorded = prod.recorded
            .filter((r) => r.type !== TYPES.rdsBackupReplication)
            .map((r) => ({ ...r, inputs: shorten(r.type, unsecret(r.inputs) as Record<string, unknown>) }));
        const engine = prod.engine
            .filter((r) => r.type !== TYPES.rdsBackupReplication)
            .map((r) => policyResource(r.type, r.urn, shorten(r.type, { ...(r.props as Record<string, unknown>) })));
        // when
        const violations = await mandatoryViolations({ ...prod, recorded, engine });
        // then
        assert.deepStrictEqual([...new Set(violations.map((v) => v.split(":")[0]))].sort(), [
            "backup-plan-cross-region-copy", "backup-plan-retention", "rds-backup-replication", "s3-object-lock-retention",
        ]);
        assert.ok(violations.some((v) => /rules\[0\] \(daily\)\.lifecycle\.deleteAfter: 1 must be at least 14/.test(v)), violations.join("\n"));
    });
});

// ------------------------------------------------------------------------------------------------
// The pack as the Pulumi CLI runs it: the SDK's runner (ts-node, type-checked) in policy/, spoken
// to over the analyzer gRPC protocol the engine uses.

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

/** Starts the pack the way `pulumi preview --policy-pack policy` does; resolves with its port. Bounded: 180 s. */
function startPack(): Promise<{ child: ChildProcess; port: number }> {
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
    const child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: path.join(ROOT, "policy"), stdio: ["ignore", "pipe", "pipe"] });
    return new Promise((resolve, reject) => {
        let stdout = "";
        let stderr = "";
        const timer = setTimeout(() => {
            child.kill();
            reject(new Error(`the policy pack did not report a port within 180 s; stderr: ${stderr}`));
        }, 180_000);
        child.stdout?.on("data", (chunk: Buffer) => {
            stdout += chunk.toString();
            const port = /^(\d+)\s*$/m.exec(stdout)?.[1];
            if (port !== undefined) {
                clearTimeout(timer);
                resolve({ child, port: Number(port) });
            }
        });
        child.stderr?.on("data", (chunk: Buffer) => {
            stderr += chunk.toString();
        });
        child.on("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`the policy pack exited (${code}) before reporting a port; stderr: ${stderr}`));
        });
    });
}

function call<Req, Res>(fn: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req): Promise<Res> {
    return new Promise((resolve, reject) => fn(req, (err, res) => (err !== null ? reject(err) : resolve(res))));
}

interface Diagnostic {
    readonly policy: string;
    readonly level: string;
    readonly urn: string;
    readonly message: string;
}

function diagnostics(res: analyzer.AnalyzeResponse): Diagnostic[] {
    return res.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), level: LEVELS[d.getEnforcementlevel()] ?? "?", urn: d.getUrn(), message: d.getMessage() }))
        .sort((a, b) => `${a.policy}${a.urn}${a.message}`.localeCompare(`${b.policy}${b.urn}${b.message}`));
}

function analyzerResource(type: string, name: string, props: Record<string, unknown>, propertyDependencies: Record<string, string[]> = {}): analyzer.AnalyzerResource {
    const r = new analyzer.AnalyzerResource();
    r.setType(type);
    r.setName(name);
    r.setUrn(`urn:pulumi:prod::pg-backup-stack::${type}::${name}`);
    r.setProperties(Struct.fromJavaScript(props as Record<string, JavaScriptValue>));
    r.setOptions(new analyzer.AnalyzerResourceOptions());
    for (const [key, urns] of Object.entries(propertyDependencies)) r.getPropertydependenciesMap().set(key, new analyzer.AnalyzerPropertyDependencies().setUrnsList(urns));
    return r;
}

describe("the policy pack as the Pulumi CLI runs it (SDK runner, analyzer gRPC)", function () {
    this.timeout(240_000);
    let pack: { child: ChildProcess; port: number } | undefined;
    let client: AnalyzerClient;
    const unknown = pulumi.runtime.unknownValue;

    before(async () => {
        pack = await startPack();
        client = new AnalyzerClient(`127.0.0.1:${pack.port}`, grpc.credentials.createInsecure());
    });
    after(() => {
        client?.close();
        pack?.child.kill();
    });

    it("serves every policy of policy/policies.ts with its enforcement level", async () => {
        // given the running pack
        // when
        const info = await call<Empty, analyzer.AnalyzerInfo>((req, cb) => client.getAnalyzerInfo(req, cb), new Empty());
        // then
        assert.strictEqual(info.getName(), "pg-backup-stack");
        assert.deepStrictEqual(
            info.getPoliciesList().map((p) => `${p.getName()}=${LEVELS[p.getEnforcementlevel()]}`),
            policies.map((p) => `${p.name}=${p.enforcementLevel}`),
        );
    });

    it("applies the prod policy config and turns unknown values into a 'can't run during preview' note", async () => {
        // given the prod policy config, and a planned instance with 7 days of backups whose key is not created yet
        const configure = new analyzer.ConfigureAnalyzerRequest();
        const prodConfig = JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "config", "prod.json"), "utf8")) as Record<string, Record<string, JavaScriptValue>>;
        for (const [name, properties] of Object.entries(prodConfig)) {
            const level = policies.find((p) => p.name === name)?.enforcementLevel ?? "advisory";
            configure.getPolicyconfigMap().set(name, new analyzer.PolicyConfig().setEnforcementlevel(LEVELS.indexOf(level)).setProperties(Struct.fromJavaScript(properties)));
        }
        await call<analyzer.ConfigureAnalyzerRequest, Empty>((req, cb) => client.configure(req, cb), configure);
        const request = new analyzer.AnalyzeRequest();
        const instance = analyzerResource(TYPES.rdsInstance, "orders", { ...GOOD_RDS, kmsKeyId: unknown });
        request.setType(instance.getType());
        request.setName(instance.getName());
        request.setUrn(instance.getUrn());
        request.setProperties(instance.getProperties());
        request.setOptions(instance.getOptions());
        // when
        const found = diagnostics(await call<analyzer.AnalyzeRequest, analyzer.AnalyzeResponse>((req, cb) => client.analyze(req, cb), request));
        // then
        assert.deepStrictEqual(found.map((d) => `${d.policy} ${d.level}`), ["rds-backup-retention mandatory", "rds-storage-encrypted advisory"]);
        assert.match(found[0]?.message ?? "", /backupRetentionPeriod: 7 must be at least 14/);
        assert.match(found[1]?.message ?? "", /can't run policy 'rds-storage-encrypted' .* during preview: string value at \.kmsKeyId can't be known during preview/);
    });

    it("judges a previewed stack through the property dependencies: log target exempt, unlocked vault refused", async () => {
        // given a preview of new buckets (ids unknown) and a vault without a lock
        const logs = analyzerResource(TYPES.bucket, "logs", { id: unknown, bucket: "logs-1" });
        const data = analyzerResource(TYPES.bucket, "data", { id: unknown, bucket: "data-1" });
        const onLogs = { bucket: [logs.getUrn()] };
        const onData = { bucket: [data.getUrn()] };
        const resources = [
            logs, data,
            analyzerResource(TYPES.bucketLogging, "logging", { bucket: unknown, targetBucket: unknown }, { bucket: [data.getUrn()], targetBucket: [logs.getUrn()] }),
            analyzerResource(TYPES.bucketEncryption, "logs-sse", { bucket: unknown, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }, onLogs),
            analyzerResource(TYPES.bucketEncryption, "data-sse", { bucket: unknown, rules: KMS_RULES }, onData),
            ...[["logs", onLogs], ["data", onData]].flatMap(([name, deps]) => [
                analyzerResource(TYPES.bucketVersioning, `${name}-v`, { bucket: unknown, versioningConfiguration: { status: "Enabled" } }, deps as Record<string, string[]>),
                analyzerResource(TYPES.publicAccessBlock, `${name}-p`, { bucket: unknown, ...ALL_BLOCKS }, deps as Record<string, string[]>),
            ]),
            analyzerResource(TYPES.backupVault, "vault", { name: "vault-1", kmsKeyArn: KEY_ARN }),
        ];
        const request = new analyzer.AnalyzeStackRequest();
        request.setResourcesList(resources);
        // when
        const found = diagnostics(await call<analyzer.AnalyzeStackRequest, analyzer.AnalyzeResponse>((req, cb) => client.analyzeStack(req, cb), request));
        // then
        assert.deepStrictEqual(found.map((d) => `${d.policy} ${d.level} ${d.urn.split("::").pop()}`), [
            "backup-vault-locked mandatory vault",
            "s3-access-log-bucket-encryption advisory logs-sse",
        ]);
    });
});
