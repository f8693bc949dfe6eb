import { formatMinutes, longestGapMinutes, parseSchedule, ScheduleError } from "../../config/schedule";
import { DEFAULTS, eachHas, hasUnknown, nonEmptyString, record, refersTo, type ResourceRule, show, type StackResource, type StackRule, type StackViolation, TYPES, UNKNOWN } from "./common";

/** The rules of AWS resources: S3, RDS, KMS, SNS, CloudWatch Logs, Lambda and AWS Backup. */

const BUCKET_TYPES: readonly string[] = [TYPES.bucket, TYPES.bucketV2];

const PUBLIC_ACCESS_BLOCK_TYPES: readonly string[] = [TYPES.publicAccessBlock, TYPES.accountPublicAccessBlock];

const ENCRYPTION_TYPES: readonly string[] = [TYPES.bucketEncryption, TYPES.bucketEncryptionV2];

const VERSIONING_TYPES: readonly string[] = [TYPES.bucketVersioning, TYPES.bucketVersioningV2];

const LOGGING_TYPES: readonly string[] = [TYPES.bucketLogging, TYPES.bucketLoggingV2];

const OBJECT_LOCK_TYPES: readonly string[] = [TYPES.bucketObjectLock, TYPES.bucketObjectLockV2];

const LIFECYCLE_TYPES: readonly string[] = [TYPES.bucketLifecycle, TYPES.bucketLifecycleV2];

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/\S+$/;

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

/** Storage encryption on, with a customer key. */
export const rdsStorageEncrypted: ResourceRule = (type, props) => {
    if (type !== TYPES.rdsInstance) return [];
    const out: string[] = [];
    if (props["storageEncrypted"] !== true) out.push(`storageEncrypted: ${show(props["storageEncrypted"])} must be true`);
    if (!nonEmptyString(props["kmsKeyId"])) out.push(`kmsKeyId: ${show(props["kmsKeyId"])} must name the customer-managed KMS key the storage is encrypted with`);
    return out;
};

/** A rule on one numeric property of `type`: at least `minimum`, with what the number means for the message. */
function atLeast(type: string, key: string, minimum: number, meaning: string): ResourceRule {
    return (t, props) => {
        if (t !== type) return [];
        const value = props[key];
        return typeof value === "number" && value >= minimum ? [] : [`${key}: ${show(value)} must be at least ${minimum} (${meaning})`];
    };
}

/** Automated backups kept at least `minDays` days. */
export function rdsBackupRetention(minDays: number = DEFAULTS.minRdsRetentionDays): ResourceRule {
    return atLeast(TYPES.rdsInstance, "backupRetentionPeriod", minDays, "days of automated backups and point-in-time recovery");
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

/** Vault encrypted with a customer-managed KMS key. */
export const backupVaultEncrypted: ResourceRule = (type, props) => {
    if (type !== TYPES.backupVault) return [];
    const value = props["kmsKeyArn"];
    return nonEmptyString(value) ? [] : [`kmsKeyArn: ${show(value)} must be the ARN of the customer-managed KMS key the vault encrypts recovery points with`];
};

/** A plan rule's name for messages: `rules[0] (daily)`. */
function planRuleLabel(rule: unknown, i: number): string {
    const name = record(rule)["ruleName"];
    return `rules[${i}]${nonEmptyString(name) ? ` (${name})` : ""}`;
}

function planRules(props: Readonly<Record<string, unknown>>): readonly unknown[] {
    const rules = props["rules"];
    return Array.isArray(rules) ? rules : [];
}

/**
 * Every rule of a backup plan, and every copy it makes, keeps its recovery points at least
 * `minDays` days (`lifecycle.deleteAfter`; unset keeps them until deleted by hand). The AWS Config
 * rule `backup-plan-min-frequency-and-min-retention-check` holds plans to the same.
 */
export function backupPlanRetention(minDays: number = DEFAULTS.minRecoveryPointRetentionDays): ResourceRule {
    return (type, props) => {
        if (type !== TYPES.backupPlan) return [];
        const short = (path: string, lifecycle: unknown): string[] => {
            const days = record(lifecycle)["deleteAfter"];
            return days === undefined || (typeof days === "number" && days >= minDays)
                ? []
                : [`${path}.lifecycle.deleteAfter: ${show(days)} must be at least ${minDays} (days a recovery point is kept)`];
        };
        return planRules(props).flatMap((rule, i) => {
            const label = planRuleLabel(rule, i);
            const copies = record(rule)["copyActions"];
            return [
                ...short(label, record(rule)["lifecycle"]),
                ...(Array.isArray(copies) ? copies : []).flatMap((copy: unknown, j) => short(`${label}.copyActions[${j}]`, record(copy)["lifecycle"])),
            ];
        });
    };
}

/**
 * A backup plan takes a recovery point at least every `maxHours` hours: its most frequent rule's
 * schedule never leaves a longer gap (the weekly and monthly rules of a plan keep longer, rarer
 * points beside a daily one).
 */
export function backupPlanFrequency(maxHours: number = DEFAULTS.maxBackupIntervalHours): ResourceRule {
    return (type, props) => {
        if (type !== TYPES.backupPlan) return [];
        const out: string[] = [];
        const gaps: number[] = [];
        planRules(props).forEach((rule, i) => {
            const schedule = record(rule)["schedule"];
            if (schedule === undefined) return;
            try {
                if (typeof schedule !== "string") throw new ScheduleError("is not a schedule expression");
                gaps.push(longestGapMinutes(parseSchedule(schedule)));
            } catch (err) {
                if (!(err instanceof ScheduleError)) throw err;
                out.push(`${planRuleLabel(rule, i)}.schedule: ${show(schedule)} cannot be read (${err.message}); give cron(...) or rate(...)`);
            }
        });
        const shortest = Math.min(...gaps);
        if (out.length === 0 && shortest > maxHours * 60) {
            const found = gaps.length === 0 ? "(no scheduled rule)" : `every ${formatMinutes(shortest)} at best`;
            out.push(`rules[].schedule: ${found} - some rule must take a recovery point at least every ${maxHours} h`);
        }
        return out;
    };
}

/**
 * A vault lock sets a minimum retention of at least `minDays` days, so that no recovery point in
 * the vault can be deleted sooner (AWS Backup Developer Guide, "AWS Backup Vault Lock").
 */
export function backupVaultLockRetention(minDays: number = DEFAULTS.minVaultLockRetentionDays): ResourceRule {
    return atLeast(TYPES.backupVaultLock, "minRetentionDays", minDays, "days every recovery point in the vault is kept");
}

/**
 * An Object Lock configuration sets a default retention of at least `minDays` days (or years), so
 * that every new object version is locked (Amazon S3 User Guide, "Locking objects with Object Lock").
 */
export function s3ObjectLockRetention(minDays: number = DEFAULTS.minObjectLockDays): ResourceRule {
    return (type, props) => {
        if (!OBJECT_LOCK_TYPES.includes(type)) return [];
        const retention = record(record(props["rule"])["defaultRetention"]);
        const out: string[] = [];
        if (props["objectLockEnabled"] !== undefined && props["objectLockEnabled"] !== "Enabled") {
            out.push(`objectLockEnabled: ${show(props["objectLockEnabled"])} must be "Enabled"`);
        }
        if (retention["mode"] !== "GOVERNANCE" && retention["mode"] !== "COMPLIANCE") {
            out.push(`rule.defaultRetention.mode: ${show(retention["mode"])} must be "GOVERNANCE" or "COMPLIANCE"`);
        }
        const days = retention["days"];
        const years = retention["years"];
        if (!(typeof years === "number" && years * 365 >= minDays) && !(typeof days === "number" && days >= minDays)) {
            out.push(`rule.defaultRetention.days: ${show(days)} must be at least ${minDays} (or years set)`);
        }
        return out;
    };
}

/**
 * No lifecycle rule expires current objects sooner than `minDays` days, except rules limited to
 * one of `exemptPrefixes`.
 */
export function s3LifecycleExpiration(minDays: number = DEFAULTS.minExpirationDays, exemptPrefixes: readonly string[] = DEFAULTS.expirationExemptPrefixes): ResourceRule {
    return (type, props) => {
        if (!LIFECYCLE_TYPES.includes(type)) return [];
        const rules = props["rules"];
        return (Array.isArray(rules) ? rules : []).flatMap((rule: unknown, i) => {
            const r = record(rule);
            if (r["status"] === "Disabled") return [];
            const filter = record(r["filter"]);
            const prefix = filter["prefix"] ?? record(filter["and"])["prefix"] ?? r["prefix"];
            if (nonEmptyString(prefix) && exemptPrefixes.some((p) => prefix.startsWith(p))) return [];
            const days = record(r["expiration"])["days"];
            if (days === undefined || (typeof days === "number" && days >= minDays)) return [];
            const id = nonEmptyString(r["id"]) ? ` (${r["id"]})` : "";
            return [`rules[${i}]${id}.expiration.days: ${show(days)} must be at least ${minDays} (days a backup is kept before it expires)`];
        });
    };
}

/**
 * Every rule of a backup plan copies its recovery points to another vault (`copyActions` with a
 * destination vault ARN), the DR copy that survives the loss of the primary region or account.
 */
export const backupPlanCopies: ResourceRule = (type, props) => {
    if (type !== TYPES.backupPlan) return [];
    return planRules(props).flatMap((rule, i) => {
        const copies = record(rule)["copyActions"];
        const targets = (Array.isArray(copies) ? copies : []).map((c: unknown) => record(c)["destinationVaultArn"]);
        return targets.some(nonEmptyString)
            ? []
            : [`${planRuleLabel(rule, i)}.copyActions: ${show(copies)} must hold a copy to a vault in another region (destinationVaultArn)`];
    });
};

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
    return eachHas(resources.filter((r) => r.type === TYPES.backupVault), (vault) => locks.map((lock) => refersTo(lock, "backupVaultName", [vault], ["name"])),
        (vault) => `backup vault ${vault.name}: (no lock) - an aws.backup.VaultLockConfiguration must be declared for it (minRetentionDays, maxRetentionDays)`);
};

/**
 * The buckets that hold backups: every bucket except those that receive server access logs (S3
 * delivers no access logs to a bucket with an Object Lock default retention: Amazon S3 User Guide,
 * "Enabling Amazon S3 server access logging") and those named in `exemptNames`.
 */
function backupBuckets(resources: readonly StackResource[], exemptNames: readonly string[]): readonly StackResource[] {
    const logTargets = accessLogTargets(resources);
    return resources
        .filter((r) => BUCKET_TYPES.includes(r.type) && !exemptNames.includes(r.name))
        .filter((bucket) => !logTargets.some((t) => t.urns.includes(bucket.urn) || (t.value !== undefined && (t.value === bucket.props["id"] || t.value === bucket.props["bucket"]))));
}

/**
 * Every bucket that holds backups is created with Object Lock and has an Object Lock
 * configuration (its default retention is judged by `s3ObjectLockRetention`).
 */
export function s3BackupBucketObjectLock(exemptNames: readonly string[] = []): StackRule {
    return (resources) => {
        const configs = resources.filter((r) => OBJECT_LOCK_TYPES.includes(r.type));
        const buckets = backupBuckets(resources, exemptNames);
        const unlocked = buckets.filter((b) => b.props["objectLockEnabled"] !== true && b.props["objectLockEnabled"] !== UNKNOWN);
        const withoutConfig = eachHas(buckets.filter((b) => !unlocked.includes(b)), (bucket) => configs.map((c) => refersTo(c, "bucket", [bucket], ["bucket"])),
            (bucket) => `bucket ${bucket.name}: (no Object Lock configuration) - an aws.s3.BucketObjectLockConfiguration with a default retention must be declared for it`);
        return {
            violations: [
                ...unlocked.map((b) => ({ urn: b.urn, message: `bucket ${b.name}: objectLockEnabled ${show(b.props["objectLockEnabled"])} must be true (Object Lock can only be switched on when the bucket is created)` })),
                ...withoutConfig.violations,
            ],
            undecided: withoutConfig.undecided,
        };
    };
}

/**
 * Every bucket that holds backups and is not itself a replica is replicated to another bucket
 * (an aws.s3.BucketReplicationConfig with an enabled rule), the cross-region copy of the dumps.
 */
export function s3BackupBucketReplication(exemptNames: readonly string[] = []): StackRule {
    return (resources) => {
        const configs = resources.filter((r) => r.type === TYPES.bucketReplication);
        const destinations = configs.flatMap((c) => {
            const rules = c.props["rules"];
            return (Array.isArray(rules) ? rules : []).map((rule: unknown) => record(record(rule)["destination"])["bucket"]);
        });
        const buckets = backupBuckets(resources, exemptNames).filter((b) => !destinations.some((d) => nonEmptyString(d) && d === b.props["arn"]));
        const enabled = (c: StackResource): boolean => {
            const rules = c.props["rules"];
            return Array.isArray(rules) && rules.some((rule: unknown) => record(rule)["status"] === "Enabled" || record(rule)["status"] === UNKNOWN);
        };
        return eachHas(buckets, (bucket) => configs.filter(enabled).map((c) => refersTo(c, "bucket", [bucket], ["bucket"])),
            (bucket) => `bucket ${bucket.name}: (not replicated) - an aws.s3.BucketReplicationConfig with an enabled rule must copy it to a bucket in another region`);
    };
}

/** Whether a backup selection picks `instance`: by ARN among its resources, or by a STRINGEQUALS tag the instance carries. */
function selects(selection: StackResource, instance: StackResource): boolean | typeof UNKNOWN {
    const resources = selection.props["resources"];
    if (Array.isArray(resources) && resources.some((arn) => arn === instance.props["arn"] && nonEmptyString(arn))) return true;
    const tags = { ...record(instance.props["tagsAll"]), ...record(instance.props["tags"]) };
    const conditions = selection.props["selectionTags"];
    if (hasUnknown(conditions) || hasUnknown(tags)) return UNKNOWN;
    return Array.isArray(conditions) && conditions.some((c: unknown) => {
        const cond = record(c);
        return cond["type"] === "STRINGEQUALS" && nonEmptyString(cond["key"]) && tags[cond["key"]] === cond["value"];
    });
}

/**
 * Every RDS instance's backups reach another region: its automated backups replicated
 * (aws.rds.InstanceAutomatedBackupsReplication), or the instance selected by an AWS Backup plan
 * every rule of which copies to another vault.
 */
export const rdsBackupsCrossRegion: StackRule = (resources) => {
    const replications = resources.filter((r) => r.type === TYPES.rdsBackupReplication);
    const copyingPlans = resources.filter((r) => r.type === TYPES.backupPlan && planRules(r.props).length > 0 && backupPlanCopies(r.type, r.props).length === 0);
    const selections = resources.filter((r) => r.type === TYPES.backupSelection);
    return eachHas(resources.filter((r) => r.type === TYPES.rdsInstance), (instance) => [
        ...replications.map((rep) => refersTo(rep, "sourceDbInstanceArn", [instance], ["arn"])),
        ...selections.map((sel) => {
            const plan = refersTo(sel, "planId", copyingPlans, []);
            if (plan === false) return false;
            const picked = selects(sel, instance);
            return plan === true ? picked : picked === false ? false : UNKNOWN;
        }),
    ], (instance) => `rds instance ${instance.name}: (no cross-region backups) - replicate its automated backups (aws.rds.InstanceAutomatedBackupsReplication) or select it in an AWS Backup plan that copies to another region`);
};
