import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { backupKeyPolicy, ENCRYPTED_TOPIC_PUBLISHERS, unsupportedServicePrincipals } from "./documents/keyPolicy";
import { invalidRoleArns, policyJson } from "./documents/policyDocument";
import { awsContext, definedOnly, plainStrings, regionOf } from "./context";

export interface BackupKeyArgs {
    /**
     * The key's alias is `alias/<aliasName>` (in the DR region too).
     * @default the component name
     */
    readonly aliasName?: string;
    /**
     * Key description.
     * @default "Backups (<component name>)"
     */
    readonly description?: string;
    /**
     * Days between automatic rotations (KMS allows 90..2560).
     * @default 365
     */
    readonly rotationPeriodInDays?: number;
    /**
     * Days between scheduling the key's deletion and its deletion (KMS allows 7..30).
     * @default 30
     */
    readonly deletionWindowInDays?: number;
    /**
     * Principals that administer the key besides the account root (IAM).
     * @default none
     */
    readonly administratorArns?: readonly pulumi.Input<string>[];
    /**
     * Roles that encrypt and decrypt with the key, only through `viaServices`; KMS requires them to exist when the policy is set, so pass `role.arn` outputs.
     * @default none (IAM decides)
     */
    readonly userRoleArns?: readonly pulumi.Input<string>[];
    /**
     * Services the user roles may use the key through (`s3`, `backup`, `sns`, `logs`, `rds`...).
     * @default ["s3"]
     */
    readonly viaServices?: readonly string[];
    /**
     * Service principals that use the key themselves, each scoped to this account: `cloudwatch.amazonaws.com` and `backup.amazonaws.com` for this account's encrypted SNS topics, `logs.<region>.amazonaws.com` for its log groups.
     * @default none
     */
    readonly servicePrincipals?: readonly string[];
    /**
     * Provider of the DR region; when given, a replica of the key (multi-Region) is created there.
     * @default none
     */
    readonly drProvider?: aws.Provider;
    /**
     * Tags on the keys.
     * @default none
     */
    readonly tags?: Readonly<Record<string, string>>;
}

type ResolvedKeyArgs = Required<Omit<BackupKeyArgs, "drProvider">> & Pick<BackupKeyArgs, "drProvider">;

function withDefaults(name: string, args: BackupKeyArgs): ResolvedKeyArgs {
    return {
        aliasName: name,
        description: `Backups (${name})`,
        rotationPeriodInDays: 365,
        deletionWindowInDays: 30,
        administratorArns: [],
        userRoleArns: [],
        viaServices: ["s3"],
        servicePrincipals: [],
        tags: {},
        ...definedOnly(args),
    };
}

const ALIAS = /^[A-Za-z0-9/_-]{1,250}$/;
const SERVICE = /^[a-z0-9-]{2,63}$/;
const SERVICE_PRINCIPAL = /^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/;

/** Every problem with the arguments, as `<arg>: <value> ...` messages. */
export function backupKeyArgProblems(args: ResolvedKeyArgs): string[] {
    const out: string[] = [];
    const range = (arg: string, value: number, min: number, max: number) => {
        if (!Number.isInteger(value) || value < min || value > max) out.push(`${arg}: ${value} is out of range ${min}..${max}`);
    };
    range("rotationPeriodInDays", args.rotationPeriodInDays, 90, 2560);
    range("deletionWindowInDays", args.deletionWindowInDays, 7, 30);
    if (!ALIAS.test(args.aliasName) || args.aliasName.startsWith("aws/") || args.aliasName.startsWith("alias/")) {
        out.push(`aliasName: ${JSON.stringify(args.aliasName)} is not allowed; give 1-250 of A-Z a-z 0-9 / _ -, without the "alias/" prefix and not starting with "aws/"`);
    }
    for (const s of args.viaServices) {
        if (!SERVICE.test(s)) out.push(`viaServices: ${JSON.stringify(s)} is not a service name; give the endpoint prefix, e.g. "s3", "backup", "sns"`);
    }
    if (args.userRoleArns.length > 0 && args.viaServices.length === 0) {
        out.push("viaServices: [] leaves the user roles no way to use the key; name at least one service, e.g. \"s3\"");
    }
    for (const p of args.servicePrincipals) {
        if (!SERVICE_PRINCIPAL.test(p)) out.push(`servicePrincipals: ${JSON.stringify(p)} is not a service principal; give e.g. "cloudwatch.amazonaws.com"`);
        else if (unsupportedServicePrincipals([p]).length > 0) {
            out.push(`servicePrincipals: ${JSON.stringify(p)} cannot be scoped to this account; give ${ENCRYPTED_TOPIC_PUBLISHERS.join(", ")} or logs.<region>.amazonaws.com`);
        }
    }
    for (const arn of invalidRoleArns(plainStrings(args.userRoleArns))) {
        out.push(`userRoleArns: ${JSON.stringify(arn)} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
    }
    for (const arn of plainStrings(args.administratorArns).filter((a) => !/^arn:aws[a-z-]*:(iam|sts)::\d{12}:/.test(a))) {
        out.push(`administratorArns: ${JSON.stringify(arn)} is not an IAM principal ARN (arn:aws:iam::<account>:...)`);
    }
    return out;
}

/**
 * Symmetric, multi-Region KMS key for backups: automatic rotation, alias, a key policy that
 * lets the account root delegate through IAM and the backup roles use the key through the
 * named services only; optionally a replica key with the same policy in the DR region.
 */
export class BackupKey extends pulumi.ComponentResource {
    /** The primary key. */
    readonly key: aws.kms.Key;
    /** ARN of the primary key. */
    readonly keyArn: pulumi.Output<string>;
    /** ID of the primary key. */
    readonly keyId: pulumi.Output<string>;
    /** `alias/<aliasName>`, the same in both regions. */
    readonly aliasName: string;
    /** The replica key in the DR region; undefined without `drProvider`. */
    readonly replicaKey?: aws.kms.ReplicaKey;
    /** ARN of the replica key in the DR region; undefined without `drProvider`. */
    readonly replicaKeyArn?: pulumi.Output<string>;

    constructor(name: string, args: BackupKeyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:aws:BackupKey", name, {}, opts);
        const a = withDefaults(name, args);
        const problems = backupKeyArgProblems(a);
        if (problems.length > 0) throw new pulumi.ResourceError(`BackupKey ${name}: ${problems.join("; ")}`, this);

        const ctx = awsContext(this);
        const policyIn = (region: pulumi.Output<string>): pulumi.Output<string> =>
            pulumi.all([ctx.accountId, ctx.partition, ctx.dnsSuffix, region, pulumi.all([...a.administratorArns]), pulumi.all([...a.userRoleArns])])
                .apply(([accountId, partition, dnsSuffix, r, administratorArns, userRoleArns]) => policyJson(backupKeyPolicy({
                    accountId, partition, dnsSuffix, region: r, administratorArns, userRoleArns,
                    viaServices: a.viaServices, servicePrincipals: a.servicePrincipals,
                })));

        this.aliasName = `alias/${a.aliasName}`;
        this.key = new aws.kms.Key(`${name}-key`, {
            description: a.description,
            keyUsage: "ENCRYPT_DECRYPT",
            customerMasterKeySpec: "SYMMETRIC_DEFAULT",
            multiRegion: true,
            enableKeyRotation: true,
            rotationPeriodInDays: a.rotationPeriodInDays,
            deletionWindowInDays: a.deletionWindowInDays,
            policy: policyIn(regionOf(this)),
            tags: { ...a.tags },
        }, { parent: this });
        new aws.kms.Alias(`${name}-alias`, { name: this.aliasName, targetKeyId: this.key.keyId }, { parent: this });
        this.keyArn = this.key.arn;
        this.keyId = this.key.keyId;

        if (a.drProvider !== undefined) {
            const dr = { parent: this, provider: a.drProvider };
            this.replicaKey = new aws.kms.ReplicaKey(`${name}-replica`, {
                primaryKeyArn: this.key.arn,
                description: a.description,
                deletionWindowInDays: a.deletionWindowInDays,
                policy: policyIn(regionOf(this, a.drProvider)),
                tags: { ...a.tags },
            }, dr);
            new aws.kms.Alias(`${name}-replica-alias`, { name: this.aliasName, targetKeyId: this.replicaKey.keyId }, dr);
            this.replicaKeyArn = this.replicaKey.arn;
        }

        this.registerOutputs({ keyArn: this.keyArn, keyId: this.keyId, aliasName: this.aliasName, replicaKeyArn: this.replicaKeyArn });
    }
}
