/**
 * The policies of the pack: each wraps a pure rule of ./rules with the policy SDK, reads its
 * configuration (with the defaults of `DEFAULTS`) and reports every message the rule returns.
 */
import * as aws from "@pulumi/aws";
import { Server } from "@pulumi/azure-native/dbforpostgresql";
import { StorageAccount } from "@pulumi/azure-native/storage";
import {
    type PolicyConfigSchema,
    type PolicyResource,
    type ReportViolation,
    type ResourceValidation,
    type ResourceValidationArgs,
    type ResourceValidationPolicy,
    type StackValidation,
    type StackValidationArgs,
    type StackValidationPolicy,
    UnknownValueError,
    validateResourceOfType,
} from "@pulumi/policy";
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
    DEFAULTS,
    isProduction,
    kmsKeyRotation,
    lambdaCredentialNames,
    lambdaCredentialUrls,
    logGroupEncrypted,
    logGroupRetention,
    PRODUCTION_ENVIRONMENT,
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
    s3LifecycleExpiration,
    s3ObjectLockRetention,
    s3PublicAccessBlock,
    s3Versioning,
    type StackResource,
    type StackRule,
    snsTopicEncrypted,
    storageAccountHttpsOnly,
    storageAccountMinimumTls,
    storageAccountNoPublicBlobs,
    TYPES,
    UNKNOWN,
} from "./rules";

type PackPolicy = ResourceValidationPolicy | StackValidationPolicy;

/** Reports every message of `rule` for the resource under validation. */
function report(rule: ResourceRule): (props: unknown, args: ResourceValidationArgs, reportViolation: ReportViolation) => void {
    return (_props, args, reportViolation) => {
        for (const message of rule(args.type, args.props)) reportViolation(message);
    };
}

/** A validation of the resources of any of `types` (a rule that also covers the provider's older type tokens). */
function ofTypes(types: readonly string[], rule: ResourceRule): ResourceValidation {
    return (args, reportViolation) => {
        if (!types.includes(args.type)) args.notApplicable(`only applies to ${types.join(", ")}`);
        report(rule)(args.props, args, reportViolation);
    };
}

/** A validation of the resources of any of `types` by a rule built from the policy's configuration. */
function configured(types: readonly string[], build: (args: ResourceValidationArgs) => ResourceRule): ResourceValidation {
    return (args, reportViolation) => {
        if (!types.includes(args.type)) args.notApplicable(`only applies to ${types.join(", ")}`);
        report(build(args))(args.props, args, reportViolation);
    };
}

/** A whole number of at least 1 from the policy's configuration, or `fallback`. */
function daysConfig(args: Pick<ResourceValidationArgs, "getConfig">, key: string, fallback: number, unit = "days"): number {
    const value = args.getConfig<Record<string, unknown>>()[key];
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
        throw new Error(`policy configuration ${key}: ${JSON.stringify(value)} is not allowed; give a whole number of ${unit}, at least 1`);
    }
    return value;
}

/** The stack's environment from the policy's configuration (`environment`), `prod` when not given. */
function environmentConfig(args: Pick<ResourceValidationArgs, "getConfig">): string {
    const value = args.getConfig<Record<string, unknown>>()["environment"];
    if (value === undefined) return DEFAULTS.environment;
    if (typeof value !== "string" || value === "") {
        throw new Error(`policy configuration environment: ${JSON.stringify(value)} is not allowed; give the stack's environment name (e.g. "${PRODUCTION_ENVIRONMENT}", "staging")`);
    }
    return value;
}

/** A list of strings from the policy's configuration, or `fallback`. */
function stringsConfig(args: Pick<ResourceValidationArgs, "getConfig">, key: string, fallback: readonly string[]): readonly string[] {
    const value = args.getConfig<Record<string, unknown>>()[key];
    if (value === undefined) return fallback;
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
        throw new Error(`policy configuration ${key}: ${JSON.stringify(value)} is not allowed; give a list of strings`);
    }
    return value;
}

/** A copy of resource properties with every value the engine does not know yet replaced by `UNKNOWN`. */
function plain(value: unknown, onUnknown: (err: UnknownValueError) => void): unknown {
    if (typeof value !== "object" || value === null) return value;
    const read = (key: string | number): unknown => {
        try {
            return plain((value as Record<string | number, unknown>)[key], onUnknown);
        } catch (err) {
            if (!(err instanceof UnknownValueError)) throw err;
            onUnknown(err);
            return UNKNOWN;
        }
    };
    if (Array.isArray(value)) return Array.from({ length: value.length }, (_, i) => read(i));
    return Object.fromEntries(Object.keys(value).map((key) => [key, read(key)]));
}

/** The plain view of a stack's resource, noting the first unknown value met in it. */
function stackResource(r: PolicyResource, unknowns: Map<string, UnknownValueError>): StackResource {
    const props = plain(r.props, (err) => {
        if (!unknowns.has(r.urn)) unknowns.set(r.urn, err);
    }) as Record<string, unknown>;
    const propertyDependencies = Object.fromEntries(Object.entries(r.propertyDependencies).map(([key, deps]) => [key, deps.map((d) => d.urn)]));
    return { type: r.type, urn: r.urn, name: r.name, props, propertyDependencies };
}

/**
 * Reports every violation of `rule`; when it could not judge some resources because values are
 * not known yet (a preview), rethrows the engine's unknown-value error after reporting, which the
 * SDK turns into an advisory "can't run during preview" note.
 */
function stackCheck(rule: StackRule): StackValidation {
    return (args: StackValidationArgs, reportViolation) => {
        const unknowns = new Map<string, UnknownValueError>();
        const findings = rule(args.resources.map((r) => stackResource(r, unknowns)));
        for (const v of findings.violations) reportViolation(v.message, v.urn);
        if (findings.undecided.length === 0) return;
        const pending = findings.undecided.map((urn) => unknowns.get(urn)).find((e) => e !== undefined) ?? unknowns.values().next().value;
        if (pending !== undefined) throw pending;
    };
}

const days = (defaultDays: number, description: string) => ({ type: "integer" as const, minimum: 1, default: defaultDays, description });

const environmentSchema = {
    properties: {
        environment: {
            type: "string" as const,
            default: DEFAULTS.environment,
            description: `The stack's environment (its pg-backup-stack:environment); "${PRODUCTION_ENVIRONMENT}" makes geo-redundant backup mandatory`,
        },
    },
};

/** A mandatory policy holding `types` to a minimum number of days read from the policy's configuration `key`. */
function minimumDays(name: string, description: string, types: readonly string[], key: string, fallback: number, schemaDescription: string, rule: (minDays: number) => ResourceRule): ResourceValidationPolicy {
    return {
        name, description, enforcementLevel: "mandatory",
        configSchema: { properties: { [key]: days(fallback, schemaDescription) } },
        validateResource: configured(types, (args) => rule(daysConfig(args, key, fallback))),
    };
}

type EnvironmentGated = { readonly validateResource: ResourceValidation } | { readonly validateStack: StackValidation };

/**
 * A guarantee owed by production stacks, as two policies on the policy configuration's
 * `environment`: `<name>`, mandatory in "prod", and `<name>-nonprod`, advisory elsewhere.
 */
function productionPair(name: string, description: string, properties: PolicyConfigSchema["properties"], validation: EnvironmentGated): PackPolicy[] {
    const policy = (production: boolean): PackPolicy => {
        const applies = (args: Pick<ResourceValidationArgs, "getConfig" | "notApplicable">): void => {
            const environment = environmentConfig(args);
            if (isProduction(environment) === production) return;
            args.notApplicable(production ? `environment "${environment}" is not "${PRODUCTION_ENVIRONMENT}"; ${name}-nonprod advises instead` : `environment is "${PRODUCTION_ENVIRONMENT}"; ${name} enforces it`);
        };
        const base = {
            name: production ? name : `${name}-nonprod`,
            description: `${description} ${production ? `Mandatory in "${PRODUCTION_ENVIRONMENT}".` : `Advised outside "${PRODUCTION_ENVIRONMENT}".`}`,
            enforcementLevel: production ? "mandatory" as const : "advisory" as const,
            configSchema: { properties: { ...environmentSchema.properties, ...properties } },
        };
        if ("validateResource" in validation) {
            return { ...base, validateResource: (args, reportViolation) => {
                applies(args);
                return validation.validateResource(args, reportViolation);
            } };
        }
        return { ...base, validateStack: (args, reportViolation) => {
            applies(args);
            return validation.validateStack(args, reportViolation);
        } };
    };
    return [policy(true), policy(false)];
}

/** Buckets of the stack that hold no backups: the AWS Backup Audit Manager report bucket (AuditFramework) holds compliance reports. */
const NO_BACKUP_BUCKETS: readonly string[] = ["audit-reports-bucket"];

const exemptBucketsSchema = {
    type: "array" as const,
    items: { type: "string" as const },
    default: [...NO_BACKUP_BUCKETS],
    description: "Logical names of buckets that hold no backups (besides access-log targets, which are always exempt); default: the audit report bucket",
};

/** Every policy of the pack, in the order docs/policy-pack.md lists them. */
export const policies: PackPolicy[] = [
    {
        name: "s3-public-access-block",
        description: "S3 public access blocks (per bucket or account-wide) turn all four settings on.",
        enforcementLevel: "mandatory",
        validateResource: ofTypes([TYPES.publicAccessBlock, TYPES.accountPublicAccessBlock], s3PublicAccessBlock),
    },
    {
        name: "s3-bucket-versioning",
        description: "S3 bucket versioning configurations have status Enabled.",
        enforcementLevel: "mandatory",
        validateResource: ofTypes([TYPES.bucketVersioning, TYPES.bucketVersioningV2], s3Versioning),
    },
    {
        name: "s3-bucket-kms-encryption",
        description: "S3 buckets encrypt by default with SSE-KMS and a KMS key ARN, except buckets that receive server access logs.",
        enforcementLevel: "mandatory",
        validateStack: stackCheck(s3BucketKmsEncryption),
    },
    {
        name: "s3-access-log-bucket-encryption",
        description: "Buckets that receive server access logs use SSE-S3 (AES256), the exception to s3-bucket-kms-encryption.",
        enforcementLevel: "advisory",
        validateStack: stackCheck(s3AccessLogBucketEncryption),
    },
    {
        name: "s3-bucket-controls-declared",
        description: "Every S3 bucket has its own versioning configuration, default-encryption configuration and public access block.",
        enforcementLevel: "mandatory",
        validateStack: stackCheck(s3BucketControlsDeclared),
    },
    {
        name: "rds-storage-encrypted",
        description: "RDS instances encrypt their storage (storageEncrypted) with a customer-managed key (kmsKeyId).",
        enforcementLevel: "mandatory",
        validateResource: validateResourceOfType(aws.rds.Instance, report(rdsStorageEncrypted)),
    },
    {
        name: "rds-backup-retention",
        description: "RDS instances keep automated backups at least minRdsRetentionDays days.",
        enforcementLevel: "mandatory",
        configSchema: { properties: { minRdsRetentionDays: days(DEFAULTS.minRdsRetentionDays, "Shortest allowed backupRetentionPeriod, days") } },
        validateResource: validateResourceOfType(aws.rds.Instance, (props, args, reportViolation) =>
            report(rdsBackupRetention(daysConfig(args, "minRdsRetentionDays", DEFAULTS.minRdsRetentionDays)))(props, args, reportViolation)),
    },
    {
        name: "rds-not-publicly-accessible",
        description: "RDS instances are not publicly accessible.",
        enforcementLevel: "mandatory",
        validateResource: validateResourceOfType(aws.rds.Instance, report(rdsNotPublic)),
    },
    {
        name: "rds-deletion-protection",
        description: "RDS instances have deletion protection on.",
        enforcementLevel: "advisory",
        validateResource: validateResourceOfType(aws.rds.Instance, report(rdsDeletionProtection)),
    },
    {
        name: "rds-copy-tags-to-snapshot",
        description: "RDS instances copy their tags to snapshots.",
        enforcementLevel: "mandatory",
        validateResource: validateResourceOfType(aws.rds.Instance, report(rdsCopyTagsToSnapshot)),
    },
    {
        name: "rds-final-snapshot",
        description: "RDS instances take a final snapshot when deleted (skipFinalSnapshot false).",
        enforcementLevel: "mandatory",
        validateResource: validateResourceOfType(aws.rds.Instance, report(rdsFinalSnapshot)),
    },
    {
        name: "kms-key-rotation",
        description: "Symmetric KMS keys rotate yearly (enableKeyRotation).",
        enforcementLevel: "mandatory",
        validateResource: validateResourceOfType(aws.kms.Key, report(kmsKeyRotation)),
    },
    {
        name: "sns-topic-encrypted",
        description: "SNS topics are encrypted with a KMS key (kmsMasterKeyId).",
        enforcementLevel: "mandatory",
        validateResource: validateResourceOfType(aws.sns.Topic, report(snsTopicEncrypted)),
    },
    {
        name: "cloudwatch-log-group-encrypted",
        description: "CloudWatch log groups are encrypted with a KMS key (kmsKeyId).",
        enforcementLevel: "mandatory",
        validateResource: validateResourceOfType(aws.cloudwatch.LogGroup, report(logGroupEncrypted)),
    },
    {
        name: "cloudwatch-log-group-retention",
        description: "CloudWatch log groups keep events at least minLogRetentionDays days (retentionInDays set; 0 keeps them for good).",
        enforcementLevel: "advisory",
        configSchema: { properties: { minLogRetentionDays: days(DEFAULTS.minLogRetentionDays, "Shortest retentionInDays, days") } },
        validateResource: validateResourceOfType(aws.cloudwatch.LogGroup, (props, args, reportViolation) =>
            report(logGroupRetention(daysConfig(args, "minLogRetentionDays", DEFAULTS.minLogRetentionDays)))(props, args, reportViolation)),
    },
    {
        name: "lambda-no-credential-in-environment",
        description: "Lambda functions carry no credential in their environment: no PASSWORD, SECRET (other than *_SECRET_ARN) or TOKEN variable, no URL with a password.",
        enforcementLevel: "mandatory",
        // Two validations, so that the names are still judged during a preview when some values are not known yet.
        validateResource: [
            validateResourceOfType(aws.lambda.Function, report(lambdaCredentialNames)),
            validateResourceOfType(aws.lambda.Function, report(lambdaCredentialUrls)),
        ],
    },
    {
        name: "backup-vault-encrypted",
        description: "AWS Backup vaults encrypt recovery points with a customer-managed KMS key (kmsKeyArn).",
        enforcementLevel: "mandatory",
        validateResource: validateResourceOfType(aws.backup.Vault, report(backupVaultEncrypted)),
    },
    {
        name: "backup-vault-locked",
        description: "Every AWS Backup vault has a vault lock configuration.",
        enforcementLevel: "mandatory",
        validateStack: stackCheck(backupVaultLocked),
    },
    minimumDays("backup-vault-lock-retention", "AWS Backup vault locks keep every recovery point at least minVaultLockRetentionDays days (minRetentionDays).",
        [TYPES.backupVaultLock], "minVaultLockRetentionDays", DEFAULTS.minVaultLockRetentionDays, "Shortest allowed minRetentionDays of a vault lock, days", backupVaultLockRetention),
    minimumDays("backup-plan-retention", "AWS Backup plan rules and their copies keep recovery points at least minRecoveryPointRetentionDays days (lifecycle.deleteAfter).",
        [TYPES.backupPlan], "minRecoveryPointRetentionDays", DEFAULTS.minRecoveryPointRetentionDays, "Shortest allowed lifecycle.deleteAfter, days", backupPlanRetention),
    {
        name: "backup-plan-frequency",
        description: "AWS Backup plans take a recovery point at least every maxBackupIntervalHours hours (their most frequent rule's schedule).",
        enforcementLevel: "mandatory",
        configSchema: { properties: { maxBackupIntervalHours: { type: "integer", minimum: 1, default: DEFAULTS.maxBackupIntervalHours, description: "Longest allowed gap between two scheduled recovery points, hours" } } },
        validateResource: configured([TYPES.backupPlan], (args) =>
            backupPlanFrequency(daysConfig(args, "maxBackupIntervalHours", DEFAULTS.maxBackupIntervalHours, "hours"))),
    },
    ...productionPair("backup-plan-cross-region-copy", "AWS Backup plan rules copy their recovery points to a vault in another region (copyActions).", {},
        { validateResource: configured([TYPES.backupPlan], () => backupPlanCopies) }),
    minimumDays("s3-object-lock-retention", "S3 Object Lock configurations set a default retention (GOVERNANCE or COMPLIANCE) of at least minObjectLockDays days.",
        [TYPES.bucketObjectLock, TYPES.bucketObjectLockV2], "minObjectLockDays", DEFAULTS.minObjectLockDays, "Shortest allowed default retention, days", s3ObjectLockRetention),
    ...productionPair("s3-backup-bucket-object-lock", "S3 buckets that hold backups (all but access-log targets and exemptBuckets) have Object Lock enabled and an Object Lock configuration.",
        { exemptBuckets: exemptBucketsSchema },
        { validateStack: (args, reportViolation) => stackCheck(s3BackupBucketObjectLock(stringsConfig(args, "exemptBuckets", NO_BACKUP_BUCKETS)))(args, reportViolation) }),
    {
        name: "s3-lifecycle-expiration",
        description: "S3 lifecycle rules expire objects no sooner than minExpirationDays days, except under exemptPrefixes (the table exports by default).",
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                minExpirationDays: days(DEFAULTS.minExpirationDays, "Shortest allowed expiration.days, days"),
                exemptPrefixes: { type: "array", items: { type: "string" }, default: [...DEFAULTS.expirationExemptPrefixes], description: "Key prefixes whose rules may expire objects sooner" },
            },
        },
        validateResource: configured([TYPES.bucketLifecycle, TYPES.bucketLifecycleV2], (args) =>
            s3LifecycleExpiration(daysConfig(args, "minExpirationDays", DEFAULTS.minExpirationDays), stringsConfig(args, "exemptPrefixes", DEFAULTS.expirationExemptPrefixes))),
    },
    ...productionPair("s3-backup-bucket-replication", "S3 buckets that hold backups (all but access-log targets, replicas and exemptBuckets) are replicated to another region.",
        { exemptBuckets: exemptBucketsSchema },
        { validateStack: (args, reportViolation) => stackCheck(s3BackupBucketReplication(stringsConfig(args, "exemptBuckets", NO_BACKUP_BUCKETS)))(args, reportViolation) }),
    ...productionPair("rds-backup-replication", "RDS instances have their backups in another region: automated backups replicated, or selected by an AWS Backup plan that copies every rule.", {},
        { validateStack: stackCheck(rdsBackupsCrossRegion) }),
    {
        name: "azure-postgres-backup-retention",
        description: "Azure PostgreSQL Flexible Servers keep backups at least minAzureRetentionDays days.",
        enforcementLevel: "mandatory",
        configSchema: { properties: { minAzureRetentionDays: days(DEFAULTS.minAzureRetentionDays, "Shortest backup.backupRetentionDays, days") } },
        validateResource: validateResourceOfType(Server, (props, args, reportViolation) =>
            report(azurePostgresBackupRetention(daysConfig(args, "minAzureRetentionDays", DEFAULTS.minAzureRetentionDays)))(props, args, reportViolation)),
    },
    {
        name: "azure-postgres-geo-redundant-backup",
        description: `Azure PostgreSQL Flexible Servers of a "${PRODUCTION_ENVIRONMENT}" stack have geo-redundant backup Enabled.`,
        enforcementLevel: "mandatory",
        configSchema: environmentSchema,
        validateResource: validateResourceOfType(Server, (props, args, reportViolation) => {
            const environment = environmentConfig(args);
            if (!isProduction(environment)) args.notApplicable(`environment "${environment}" is not "${PRODUCTION_ENVIRONMENT}"; azure-postgres-geo-redundant-backup-nonprod advises instead`);
            report(azurePostgresGeoRedundantBackup)(props, args, reportViolation);
        }),
    },
    {
        name: "azure-postgres-geo-redundant-backup-nonprod",
        description: `Azure PostgreSQL Flexible Servers outside "${PRODUCTION_ENVIRONMENT}" should have geo-redundant backup Enabled.`,
        enforcementLevel: "advisory",
        configSchema: environmentSchema,
        validateResource: validateResourceOfType(Server, (props, args, reportViolation) => {
            const environment = environmentConfig(args);
            if (isProduction(environment)) args.notApplicable(`environment is "${PRODUCTION_ENVIRONMENT}"; azure-postgres-geo-redundant-backup enforces it`);
            report(azurePostgresGeoRedundantBackup)(props, args, reportViolation);
        }),
    },
    {
        name: "azure-backup-vault-immutable",
        description: `Azure Backup (Data Protection) vaults are immutable (Locked in "${PRODUCTION_ENVIRONMENT}", Unlocked or Locked elsewhere) with soft delete on.`,
        enforcementLevel: "mandatory",
        configSchema: environmentSchema,
        validateResource: configured([TYPES.azureBackupVault], (args) => azureBackupVaultImmutable(isProduction(environmentConfig(args)))),
    },
    {
        name: "azure-key-vault-purge-protection",
        description: "Azure Key Vaults have purge protection and soft delete on, and RBAC authorization.",
        enforcementLevel: "mandatory",
        validateResource: ofTypes([TYPES.azureKeyVault], azureKeyVaultProtected),
    },
    ...productionPair("azure-storage-customer-managed-key", "Azure storage accounts are encrypted with a customer-managed key in Key Vault.", {},
        { validateResource: ofTypes([TYPES.azureStorageAccount], azureStorageCustomerManagedKey) }),
    {
        name: "azure-backup-container-immutable",
        description: "Azure blob containers that hold backups have version-level immutability enabled.",
        enforcementLevel: "mandatory",
        configSchema: { properties: { backupContainerNames: { type: "array" as const, items: { type: "string" as const }, default: [...DEFAULTS.backupContainerNames], description: "Names of the containers that hold backups" } } },
        validateResource: configured([TYPES.azureBlobContainer], (args) => {
            const names = args.getConfig<Record<string, unknown>>()["backupContainerNames"];
            return azureBackupContainerImmutable(Array.isArray(names) ? names.filter((n): n is string => typeof n === "string") : DEFAULTS.backupContainerNames);
        }),
    },
    minimumDays("azure-backup-policy-retention", "Azure Backup policies keep recovery points at least minVaultRetentionDays days.",
        [TYPES.azureBackupPolicy], "minVaultRetentionDays", DEFAULTS.minVaultRetentionDays, "Shortest allowed retention of a vaulted backup, days", azureBackupPolicyRetention),
    {
        name: "azure-storage-minimum-tls",
        description: "Azure storage accounts accept TLS 1.2 or newer only.",
        enforcementLevel: "mandatory",
        validateResource: validateResourceOfType(StorageAccount, report(storageAccountMinimumTls)),
    },
    {
        name: "azure-storage-no-public-blob-access",
        description: "Azure storage accounts allow no anonymous blob access.",
        enforcementLevel: "mandatory",
        validateResource: validateResourceOfType(StorageAccount, report(storageAccountNoPublicBlobs)),
    },
    {
        name: "azure-storage-https-only",
        description: "Azure storage accounts accept HTTPS traffic only.",
        enforcementLevel: "mandatory",
        validateResource: validateResourceOfType(StorageAccount, report(storageAccountHttpsOnly)),
    },
];
