/**
 * The policy pack's rules as pure functions over plain resource inputs. Each resource rule takes
 * the resource's type token and its inputs and returns one message per violation, naming the
 * property, the value found and what is required; a rule returns nothing for types it does not
 * govern. Stack rules take every resource of the stack and return violations tied to a URN.
 *
 * Where a property is left unset, a rule accepts it only when the provider's or the service's
 * default is the required value (RDS `publiclyAccessible`, Azure `allowBlobPublicAccess`, ...);
 * everything else must be stated in the program.
 */

export {
    DEFAULTS,
    hasUnknown,
    isProduction,
    PRODUCTION_ENVIRONMENT,
    type ResourceRule,
    type StackFindings,
    type StackResource,
    type StackRule,
    type StackViolation,
    TYPES,
    UNKNOWN,
} from "./common";
export {
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
    snsTopicEncrypted,
} from "./aws";
export {
    azureBackupContainerImmutable,
    azureBackupPolicyRetention,
    azureBackupVaultImmutable,
    azureKeyVaultProtected,
    azurePostgresBackupRetention,
    azurePostgresGeoRedundantBackup,
    azureStorageCustomerManagedKey,
    storageAccountHttpsOnly,
    storageAccountMinimumTls,
    storageAccountNoPublicBlobs,
} from "./azure";
