/**
 * What the policy pack's rules share: the rule types, the type tokens they govern, the default
 * thresholds, how a value is shown in a message, and the stack rules' view of the resources.
 */

/** A resource rule: violation messages for one resource, none for types it does not govern. */
export type ResourceRule = (type: string, props: Readonly<Record<string, unknown>>) => string[];

/** Resource type tokens the rules govern. */
export const TYPES = {
    bucket: "aws:s3/bucket:Bucket",
    bucketV2: "aws:s3/bucketV2:BucketV2",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    accountPublicAccessBlock: "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
    bucketEncryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    bucketEncryptionV2: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    bucketVersioning: "aws:s3/bucketVersioning:BucketVersioning",
    bucketVersioningV2: "aws:s3/bucketVersioningV2:BucketVersioningV2",
    bucketLogging: "aws:s3/bucketLogging:BucketLogging",
    bucketLoggingV2: "aws:s3/bucketLoggingV2:BucketLoggingV2",
    rdsInstance: "aws:rds/instance:Instance",
    kmsKey: "aws:kms/key:Key",
    snsTopic: "aws:sns/topic:Topic",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    lambdaFunction: "aws:lambda/function:Function",
    backupVault: "aws:backup/vault:Vault",
    backupVaultLock: "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
    backupPlan: "aws:backup/plan:Plan",
    backupSelection: "aws:backup/selection:Selection",
    bucketObjectLock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    bucketObjectLockV2: "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
    bucketLifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    bucketLifecycleV2: "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
    bucketReplication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    rdsBackupReplication: "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
    azureBackupVault: "azure-native:dataprotection:BackupVault",
    azurePostgresServer: "azure-native:dbforpostgresql:Server",
    azureStorageAccount: "azure-native:storage:StorageAccount",
    azureBlobContainer: "azure-native:storage:BlobContainer",
    azureKeyVault: "azure-native:keyvault:Vault",
    azureBackupPolicy: "azure-native:dataprotection:BackupPolicy",
} as const;

/** Defaults of the configurable thresholds. */
export const DEFAULTS = {
    minRdsRetentionDays: 7,
    minLogRetentionDays: 365,
    minAzureRetentionDays: 7,
    /** Shortest retention of a vaulted Flexible Server backup: a weekly backup kept less than a week leaves weeks with none. */
    minVaultRetentionDays: 7,
    /** Containers that hold backups and must carry version-level immutability. */
    backupContainerNames: ["backups"],
    minRecoveryPointRetentionDays: 7,
    maxBackupIntervalHours: 24,
    minVaultLockRetentionDays: 7,
    minObjectLockDays: 7,
    minExpirationDays: 7,
    /** Key prefixes whose objects a stack may expire sooner: the table exports (`storage.exportPrefix`), change sets kept as long as the stack chooses. */
    expirationExemptPrefixes: ["exports/"],
    environment: "prod",
} as const;

/** The environment whose stacks get the production guarantees, as the stack config spells it. */
export const PRODUCTION_ENVIRONMENT = "prod";

/** A value as a message shows it: JSON, or `(unset)`. */
export function show(value: unknown): string {
    return value === undefined || value === null ? "(unset)" : JSON.stringify(value);
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function record(value: unknown): Readonly<Record<string, unknown>> {
    return isRecord(value) ? value : {};
}

export function nonEmptyString(value: unknown): value is string {
    return typeof value === "string" && value.trim() !== "";
}

/** Whether the stack's environment gets the production guarantees. */
export function isProduction(environment: string): boolean {
    return environment === PRODUCTION_ENVIRONMENT;
}

/** Stands for a value the engine does not know yet (during a preview, outputs of resources still to be created). */
export const UNKNOWN: unique symbol = Symbol("unknown until the update");

/** One resource as a stack rule sees it: plain properties, unknown ones as `UNKNOWN`. */
export interface StackResource {
    readonly type: string;
    readonly urn: string;
    readonly name: string;
    readonly props: Readonly<Record<string, unknown>>;
    /** URNs of the resources each property's value came from. */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
}

/** A violation of a stack rule, tied to the resource it concerns. */
export interface StackViolation {
    readonly urn: string;
    readonly message: string;
}

/**
 * What a stack rule found. `undecided` lists resources the rule cannot judge yet because a value
 * it needs is unknown (a preview); they are judged at the update, when every value is known.
 */
export interface StackFindings {
    readonly violations: readonly StackViolation[];
    readonly undecided: readonly string[];
}

export type StackRule = (resources: readonly StackResource[]) => StackFindings;

/** Whether a value holds `UNKNOWN` anywhere. */
export function hasUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (Array.isArray(value)) return value.some(hasUnknown);
    if (isRecord(value)) return Object.values(value).some(hasUnknown);
    return false;
}

/**
 * Whether `resource`'s property `key` refers to one of `targets`: through the engine's record of
 * where the value came from, or by equal value (a target's id or one of `targetKeys`). `UNKNOWN`
 * when it cannot be told yet.
 */
export function refersTo(resource: StackResource, key: string, targets: readonly StackResource[], targetKeys: readonly string[]): boolean | typeof UNKNOWN {
    const deps = resource.propertyDependencies[key] ?? [];
    if (targets.some((t) => deps.includes(t.urn))) return true;
    const value = resource.props[key];
    if (value === UNKNOWN) return UNKNOWN;
    if (!nonEmptyString(value)) return false;
    const keys = ["id", ...targetKeys];
    if (targets.some((t) => keys.some((k) => t.props[k] === value))) return true;
    return targets.some((t) => keys.some((k) => t.props[k] === UNKNOWN)) ? UNKNOWN : false;
}

/** Findings of a rule that asks, per resource, whether some other resource refers to it. */
export function eachHas(subjects: readonly StackResource[], found: (subject: StackResource) => readonly (boolean | typeof UNKNOWN)[], message: (subject: StackResource) => string): StackFindings {
    const violations: StackViolation[] = [];
    const undecided: string[] = [];
    for (const subject of subjects) {
        const answers = found(subject);
        if (answers.includes(true)) continue;
        if (answers.includes(UNKNOWN)) undecided.push(subject.urn);
        else violations.push({ urn: subject.urn, message: message(subject) });
    }
    return { violations, undecided };
}
