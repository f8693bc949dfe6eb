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
    azurePostgresServer: "azure-native:dbforpostgresql:Server",
    azureStorageAccount: "azure-native:storage:StorageAccount",
} as const;

const BUCKET_TYPES: readonly string[] = [TYPES.bucket, TYPES.bucketV2];
const PUBLIC_ACCESS_BLOCK_TYPES: readonly string[] = [TYPES.publicAccessBlock, TYPES.accountPublicAccessBlock];
const ENCRYPTION_TYPES: readonly string[] = [TYPES.bucketEncryption, TYPES.bucketEncryptionV2];
const VERSIONING_TYPES: readonly string[] = [TYPES.bucketVersioning, TYPES.bucketVersioningV2];
const LOGGING_TYPES: readonly string[] = [TYPES.bucketLogging, TYPES.bucketLoggingV2];

/** Defaults of the configurable thresholds. */
export const DEFAULTS = {
    minRdsRetentionDays: 7,
    minLogRetentionDays: 365,
    minAzureRetentionDays: 7,
    environment: "prod",
} as const;

/** The environment whose stacks get the production guarantees, as the stack config spells it. */
export const PRODUCTION_ENVIRONMENT = "prod";

/** A value as a message shows it: JSON, or `(unset)`. */
function show(value: unknown): string {
    return value === undefined || value === null ? "(unset)" : JSON.stringify(value);
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function record(value: unknown): Readonly<Record<string, unknown>> {
    return isRecord(value) ? value : {};
}

function nonEmptyString(value: unknown): value is string {
    return typeof value === "string" && value.trim() !== "";
}

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/\S+$/;

// ---------------------------------------------------------------- S3

const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

/** All four public access blocks on, on a bucket's (or the account's) public access block. */
export const s3PublicAccessBlock: ResourceRule = (type, props) => {
    if (!PUBLIC_ACCESS_BLOCK_TYPES.includes(type)) return [];
    return PUBLIC_ACCESS_FLAGS
        .filter((flag) => props[flag] !== true)
        .map((flag) => `${flag}: ${show(props[flag])} must be true; all four public access blocks must be on`);
};

/** Versioning `Enabled` on a bucket's versioning configuration. */
export const s3Versioning: ResourceRule = (type, props) => {
    if (!VERSIONING_TYPES.includes(type)) return [];
    const status = record(props["versioningConfiguration"])["status"];
    return status === "Enabled" ? [] : [`versioningConfiguration.status: ${show(status)} must be "Enabled"`];
};

/**
 * SSE-KMS with a customer key named by its ARN on every rule of a bucket's default-encryption
 * configuration (`aws:kms` or `aws:kms:dsse`). Buckets that receive server access logs are
 * exempt (see `s3BucketKmsEncryption`), since S3 cannot deliver access logs to them otherwise.
 */
export const s3EncryptionKms: ResourceRule = (type, props) => {
    if (!ENCRYPTION_TYPES.includes(type)) return [];
    const rules = props["rules"];
    if (!Array.isArray(rules) || rules.length === 0) {
        return [`rules: ${show(rules)} must hold a rule with sseAlgorithm "aws:kms" and kmsMasterKeyId set to a KMS key ARN`];
    }
    const out: string[] = [];
    rules.forEach((rule: unknown, i) => {
        const byDefault = record(record(rule)["applyServerSideEncryptionByDefault"]);
        const algorithm = byDefault["sseAlgorithm"];
        const key = byDefault["kmsMasterKeyId"];
        if (algorithm !== "aws:kms" && algorithm !== "aws:kms:dsse") {
            out.push(`rules[${i}].applyServerSideEncryptionByDefault.sseAlgorithm: ${show(algorithm)} must be "aws:kms" (SSE-KMS with a customer-managed key)`);
        }
        if (typeof key !== "string" || !KMS_KEY_ARN.test(key)) {
            out.push(`rules[${i}].applyServerSideEncryptionByDefault.kmsMasterKeyId: ${show(key)} must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)`);
        }
    });
    return out;
};

// ---------------------------------------------------------------- RDS

/** Storage encryption on, with a customer key. */
export const rdsStorageEncrypted: ResourceRule = (type, props) => {
    if (type !== TYPES.rdsInstance) return [];
    const out: string[] = [];
    if (props["storageEncrypted"] !== true) out.push(`storageEncrypted: ${show(props["storageEncrypted"])} must be true`);
    if (!nonEmptyString(props["kmsKeyId"])) out.push(`kmsKeyId: ${show(props["kmsKeyId"])} must name the customer-managed KMS key the storage is encrypted with`);
    return out;
};

/** Automated backups kept at least `minDays` days. */
export function rdsBackupRetention(minDays: number = DEFAULTS.minRdsRetentionDays): ResourceRule {
    return (type, props) => {
        if (type !== TYPES.rdsInstance) return [];
        const days = props["backupRetentionPeriod"];
        return typeof days === "number" && days >= minDays
            ? []
            : [`backupRetentionPeriod: ${show(days)} must be at least ${minDays} (days of automated backups and point-in-time recovery)`];
    };
}

/** Not reachable from the internet; unset is accepted (the provider's default is false). */
export const rdsNotPublic: ResourceRule = (type, props) => {
    if (type !== TYPES.rdsInstance) return [];
    const value = props["publiclyAccessible"];
    return value === undefined || value === false ? [] : [`publiclyAccessible: ${show(value)} must be false`];
};

/** Deletion protection on. */
export const rdsDeletionProtection: ResourceRule = (type, props) => {
    if (type !== TYPES.rdsInstance) return [];
    const value = props["deletionProtection"];
    return value === true ? [] : [`deletionProtection: ${show(value)} should be true so that the instance cannot be deleted by accident`];
};

/** Tags copied to snapshots, so that backup selections and cost reports see them. */
export const rdsCopyTagsToSnapshot: ResourceRule = (type, props) => {
    if (type !== TYPES.rdsInstance) return [];
    const value = props["copyTagsToSnapshot"];
    return value === true ? [] : [`copyTagsToSnapshot: ${show(value)} must be true`];
};

/** A final snapshot on deletion; unset is accepted (the provider's default is false). */
export const rdsFinalSnapshot: ResourceRule = (type, props) => {
    if (type !== TYPES.rdsInstance) return [];
    const value = props["skipFinalSnapshot"];
    return value === undefined || value === false ? [] : [`skipFinalSnapshot: ${show(value)} must be false so that deleting the instance leaves a final snapshot`];
};

// ---------------------------------------------------------------- KMS, SNS, CloudWatch Logs

/** Yearly rotation of symmetric keys (AWS rotates no other key spec, so those are not held to it). */
export const kmsKeyRotation: ResourceRule = (type, props) => {
    if (type !== TYPES.kmsKey) return [];
    const spec = props["customerMasterKeySpec"];
    if (spec !== undefined && spec !== "SYMMETRIC_DEFAULT") return [];
    const value = props["enableKeyRotation"];
    return value === true ? [] : [`enableKeyRotation: ${show(value)} must be true`];
};

/** Topic encrypted at rest with a KMS key. */
export const snsTopicEncrypted: ResourceRule = (type, props) => {
    if (type !== TYPES.snsTopic) return [];
    const value = props["kmsMasterKeyId"];
    return nonEmptyString(value) ? [] : [`kmsMasterKeyId: ${show(value)} must name the KMS key the topic is encrypted with`];
};

/** Log group encrypted with a KMS key. */
export const logGroupEncrypted: ResourceRule = (type, props) => {
    if (type !== TYPES.logGroup) return [];
    const value = props["kmsKeyId"];
    return nonEmptyString(value) ? [] : [`kmsKeyId: ${show(value)} must be the ARN of the KMS key the log group is encrypted with`];
};

/** Log events kept at least `minDays` days; 0 (never expire) satisfies any minimum. */
export function logGroupRetention(minDays: number = DEFAULTS.minLogRetentionDays): ResourceRule {
    return (type, props) => {
        if (type !== TYPES.logGroup) return [];
        const days = props["retentionInDays"];
        return typeof days === "number" && (days === 0 || days >= minDays)
            ? []
            : [`retentionInDays: ${show(days)} should be set to at least ${minDays} (or 0 to keep the events for good)`];
    };
}

// ---------------------------------------------------------------- Lambda

/** Words that make a variable's name look like it carries a credential. */
const CREDENTIAL_WORDS = ["PASSWORD", "PASSWD", "SECRET", "TOKEN"] as const;

/** A reference to a Secrets Manager secret, not the secret itself. */
const SECRET_REFERENCE = /(^|_)SECRET_ARN$/;

/** `scheme://user:password@host...`: the password part is what gives a URL away. */
const URL_WITH_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:)([^/@\s]+)(@)/gi;

function variables(props: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
    return record(record(props["environment"])["variables"]);
}

/**
 * No environment variable whose name says it holds a credential (PASSWORD, PASSWD, SECRET, TOKEN,
 * in any case); `*_SECRET_ARN` names a Secrets Manager secret and is allowed. Values are not
 * shown in the message.
 */
export const lambdaCredentialNames: ResourceRule = (type, props) => {
    if (type !== TYPES.lambdaFunction) return [];
    return Object.keys(variables(props)).sort()
        .filter((name) => !SECRET_REFERENCE.test(name.toUpperCase()))
        .filter((name) => CREDENTIAL_WORDS.some((word) => name.toUpperCase().includes(word)))
        .map((name) => `environment.variables.${name}: (value not shown) looks like a credential; pass a Secrets Manager ARN (e.g. DB_SECRET_ARN) and read the secret at run time`);
};

/** No environment variable whose value is a URL with a password in it; the password is masked in the message. */
export const lambdaCredentialUrls: ResourceRule = (type, props) => {
    if (type !== TYPES.lambdaFunction) return [];
    const vars = variables(props);
    return Object.keys(vars).sort().flatMap((name) => {
        const value = vars[name];
        if (typeof value !== "string" || value.match(URL_WITH_PASSWORD) === null) return [];
        const masked = value.replace(URL_WITH_PASSWORD, "$1***$3");
        return [`environment.variables.${name}: ${JSON.stringify(masked)} holds a URL with a password; pass a Secrets Manager ARN and read the secret at run time`];
    });
};

// ---------------------------------------------------------------- AWS Backup

/** Vault encrypted with a customer-managed KMS key. */
export const backupVaultEncrypted: ResourceRule = (type, props) => {
    if (type !== TYPES.backupVault) return [];
    const value = props["kmsKeyArn"];
    return nonEmptyString(value) ? [] : [`kmsKeyArn: ${show(value)} must be the ARN of the customer-managed KMS key the vault encrypts recovery points with`];
};

// ---------------------------------------------------------------- Azure

/** Flexible Server backups kept at least `minDays` days; unset is the service default of 7. */
export function azurePostgresBackupRetention(minDays: number = DEFAULTS.minAzureRetentionDays): ResourceRule {
    return (type, props) => {
        if (type !== TYPES.azurePostgresServer) return [];
        const value = record(props["backup"])["backupRetentionDays"];
        const days = value === undefined ? 7 : value;
        return typeof days === "number" && days >= minDays
            ? []
            : [`backup.backupRetentionDays: ${show(value)}${value === undefined ? " (the service default, 7)" : ""} must be at least ${minDays}`];
    };
}

/** Flexible Server backups copied to the paired region (unset is the service default, Disabled). */
export const azurePostgresGeoRedundantBackup: ResourceRule = (type, props) => {
    if (type !== TYPES.azurePostgresServer) return [];
    const value = record(props["backup"])["geoRedundantBackup"];
    return value === "Enabled" ? [] : [`backup.geoRedundantBackup: ${show(value)} must be "Enabled" (set when the server is created; changing it replaces the server)`];
};

/** TLS 1.2 or newer (unset is the service's TLS 1.0). */
export const storageAccountMinimumTls: ResourceRule = (type, props) => {
    if (type !== TYPES.azureStorageAccount) return [];
    const value = props["minimumTlsVersion"];
    return value === "TLS1_2" || value === "TLS1_3" ? [] : [`minimumTlsVersion: ${show(value)} must be "TLS1_2" (or "TLS1_3")`];
};

/** No anonymous blob access; unset is accepted (the service default is false). */
export const storageAccountNoPublicBlobs: ResourceRule = (type, props) => {
    if (type !== TYPES.azureStorageAccount) return [];
    const value = props["allowBlobPublicAccess"];
    return value === undefined || value === false ? [] : [`allowBlobPublicAccess: ${show(value)} must be false`];
};

/** HTTPS only; unset is accepted (the service default is true). */
export const storageAccountHttpsOnly: ResourceRule = (type, props) => {
    if (type !== TYPES.azureStorageAccount) return [];
    const value = props["enableHttpsTrafficOnly"];
    return value === undefined || value === true ? [] : [`enableHttpsTrafficOnly: ${show(value)} must be true`];
};

/** Whether the stack's environment gets the production guarantees. */
export function isProduction(environment: string): boolean {
    return environment === PRODUCTION_ENVIRONMENT;
}

// ---------------------------------------------------------------- stack rules

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
function refersTo(resource: StackResource, key: string, targets: readonly StackResource[], targetKeys: readonly string[]): boolean | typeof UNKNOWN {
    const deps = resource.propertyDependencies[key] ?? [];
    if (targets.some((t) => deps.includes(t.urn))) return true;
    const value = resource.props[key];
    if (value === UNKNOWN) return UNKNOWN;
    if (!nonEmptyString(value)) return false;
    const keys = ["id", ...targetKeys];
    if (targets.some((t) => keys.some((k) => t.props[k] === value))) return true;
    return targets.some((t) => keys.some((k) => t.props[k] === UNKNOWN)) ? UNKNOWN : false;
}

/** A reference to a bucket that receives server access logs: the resources its value came from, and the value. */
interface LogTarget {
    readonly urns: readonly string[];
    readonly value: unknown;
}

/** The access-log targets of the stack: the logging configurations' `targetBucket` and the buckets' inline `logging`. */
function accessLogTargets(resources: readonly StackResource[]): readonly LogTarget[] {
    const targets: LogTarget[] = [];
    for (const r of resources) {
        if (LOGGING_TYPES.includes(r.type)) {
            targets.push({ urns: r.propertyDependencies["targetBucket"] ?? [], value: r.props["targetBucket"] });
        } else if (BUCKET_TYPES.includes(r.type)) {
            const inline = r.props["logging"];
            for (const entry of Array.isArray(inline) ? inline : [inline]) targets.push({ urns: [], value: record(entry)["targetBucket"] });
        }
    }
    return targets.filter((t) => t.urns.length > 0 || (t.value !== undefined && t.value !== null));
}

/**
 * Whether an encryption configuration's bucket receives server access logs, told by the resources
 * the two values came from when both are recorded, or else by equal values. `UNKNOWN` when
 * neither can tell yet.
 */
function isAccessLogTarget(config: StackResource, targets: readonly LogTarget[]): boolean | typeof UNKNOWN {
    const deps = config.propertyDependencies["bucket"] ?? [];
    const bucket = config.props["bucket"];
    if (targets.some((t) => t.urns.some((urn) => deps.includes(urn)) || (nonEmptyString(bucket) && t.value === bucket))) return true;
    const told = (t: LogTarget): boolean => (deps.length > 0 && t.urns.length > 0) || (nonEmptyString(bucket) && nonEmptyString(t.value));
    return targets.every(told) ? false : UNKNOWN;
}

/**
 * `s3EncryptionKms` on every bucket encryption configuration of the stack except those of buckets
 * that receive server access logs.
 */
export const s3BucketKmsEncryption: StackRule = (resources) => {
    const targets = accessLogTargets(resources);
    const violations: StackViolation[] = [];
    const undecided: string[] = [];
    for (const config of resources.filter((r) => ENCRYPTION_TYPES.includes(r.type))) {
        const target = isAccessLogTarget(config, targets);
        if (target === true) continue;
        if (hasUnknown(config.props["rules"])) {
            undecided.push(config.urn);
            continue;
        }
        const problems = s3EncryptionKms(config.type, config.props);
        if (problems.length === 0) continue;
        if (target === UNKNOWN) undecided.push(config.urn);
        else violations.push(...problems.map((message) => ({ urn: config.urn, message })));
    }
    return { violations, undecided };
};

/**
 * The exception `s3BucketKmsEncryption` makes, made visible: a bucket that receives server access
 * logs must use SSE-S3 (`AES256`), since S3 does not deliver access logs to a bucket whose default
 * encryption is SSE-KMS.
 */
export const s3AccessLogBucketEncryption: StackRule = (resources) => {
    const targets = accessLogTargets(resources);
    const violations: StackViolation[] = [];
    const undecided: string[] = [];
    for (const config of resources.filter((r) => ENCRYPTION_TYPES.includes(r.type))) {
        if (isAccessLogTarget(config, targets) !== true) continue;
        const rules = config.props["rules"];
        if (hasUnknown(rules)) {
            undecided.push(config.urn);
            continue;
        }
        const algorithms = (Array.isArray(rules) ? rules : []).map((rule: unknown) => record(record(rule)["applyServerSideEncryptionByDefault"])["sseAlgorithm"]);
        const message = algorithms.length > 0 && algorithms.every((a) => a === "AES256")
            ? `rules: SSE-S3 ("AES256") accepted instead of SSE-KMS: this bucket receives server access logs, which S3 delivers only to SSE-S3 buckets`
            : `rules[].applyServerSideEncryptionByDefault.sseAlgorithm: ${show(algorithms)} must be "AES256": this bucket receives server access logs, which S3 does not deliver to SSE-KMS buckets`;
        violations.push({ urn: config.urn, message });
    }
    return { violations, undecided };
};

/**
 * Every bucket has its own versioning configuration, default-encryption configuration and public
 * access block, so that the rules on those resources cannot pass by their absence.
 */
export const s3BucketControlsDeclared: StackRule = (resources) => {
    const controls = [
        { types: VERSIONING_TYPES, what: "versioning configuration (aws.s3.BucketVersioning, status Enabled)" },
        { types: ENCRYPTION_TYPES, what: "default-encryption configuration (aws.s3.BucketServerSideEncryptionConfiguration)" },
        { types: [TYPES.publicAccessBlock], what: "public access block (aws.s3.BucketPublicAccessBlock, all four on)" },
    ];
    const violations: StackViolation[] = [];
    const undecided: string[] = [];
    for (const bucket of resources.filter((r) => BUCKET_TYPES.includes(r.type))) {
        for (const control of controls) {
            const found = resources
                .filter((r) => control.types.includes(r.type))
                .map((r) => refersTo(r, "bucket", [bucket], ["bucket"]));
            if (found.includes(true)) continue;
            if (found.includes(UNKNOWN)) undecided.push(bucket.urn);
            else violations.push({ urn: bucket.urn, message: `bucket ${bucket.name}: (none) - a ${control.what} must be declared for it` });
        }
    }
    return { violations, undecided: [...new Set(undecided)] };
};

/** Every AWS Backup vault has a vault lock configuration. */
export const backupVaultLocked: StackRule = (resources) => {
    const locks = resources.filter((r) => r.type === TYPES.backupVaultLock);
    const violations: StackViolation[] = [];
    const undecided: string[] = [];
    for (const vault of resources.filter((r) => r.type === TYPES.backupVault)) {
        const found = locks.map((lock) => refersTo(lock, "backupVaultName", [vault], ["name"]));
        if (found.includes(true)) continue;
        if (found.includes(UNKNOWN)) undecided.push(vault.urn);
        else violations.push({ urn: vault.urn, message: `backup vault ${vault.name}: (no lock) - an aws.backup.VaultLockConfiguration must be declared for it (minRetentionDays, maxRetentionDays)` });
    }
    return { violations, undecided };
};
