import * as pulumi from "@pulumi/pulumi";
import { WATERMARK_PATTERN, dumpRolePolicy, exportRolePolicy, verifyRolePolicy, type FunctionKind, type FunctionPolicyInput } from "./documents/functionPolicies";
import { resolveNetwork, type BackupFunctionNetwork, type ResolvedNetwork } from "./functionNetwork";

/**
 * What a scheduled run of the function image needs wherever it runs (a Lambda function or a
 * Fargate task): the same kind, image, bucket, key, secrets, environment, network and schedule.
 */
export interface ScheduledWorkArgs {
    /** dump, export or verify: decides the handler and the role's permissions. Required. */
    readonly kind: FunctionKind;
    /** Image the run uses, by digest (FunctionImage.imageUri). Required. */
    readonly imageUri: pulumi.Input<string>;
    /**
     * CPU architecture; must match the image's platform.
     * @default "x86_64"
     */
    readonly architecture?: "x86_64" | "arm64";
    /** ARN of the backup bucket. Required. */
    readonly bucketArn: pulumi.Input<string>;
    /** Key prefix the run works under: the dumps' (dump, verify) or the exports' (export). Required. */
    readonly prefix: string;
    /**
     * Export only: key pattern below the prefix of the objects the role may read back.
     * @default WATERMARK_PATTERN (`<database>/_watermarks/<file>`, the export function's layout)
     */
    readonly watermarkPattern?: string;
    /** ARN of the backup CMK: objects, dead-letter queue and log group are encrypted with it. Required. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Secrets the handler reads its connections from (databases, or the verification server). Required, at least one. */
    readonly secretArns: readonly pulumi.Input<string>[];
    /**
     * Customer-managed keys those secrets are encrypted with (an RDS master secret uses the instance's key).
     * @default []
     */
    readonly secretKmsKeyArns?: readonly pulumi.Input<string>[];
    /** The handler's variables (functionEnv builders): names, numbers and ARNs, never a credential. Required. */
    readonly environment: Readonly<Record<string, pulumi.Input<string>>>;
    /** Subnets, security group rules and the S3 endpoint. Required. */
    readonly network: BackupFunctionNetwork;
    /** EventBridge Scheduler expression: rate(...), cron(...) or at(...). Required. */
    readonly schedule: string;
    /**
     * Time zone of a cron expression.
     * @default "UTC"
     */
    readonly scheduleTimezone?: string;
    /**
     * Seconds the dead-letter queue keeps a message (14 days, the SQS maximum).
     * @default 1209600
     */
    readonly deadLetterRetentionSeconds?: number;}

/** ScheduledWorkArgs with its defaults filled and its network resolved: the one place those defaults live. */
export type ResolvedScheduledWork = Required<Omit<ScheduledWorkArgs, "network">> & { readonly network: ResolvedNetwork };

export function scheduledWorkDefaults(args: ScheduledWorkArgs): ResolvedScheduledWork {
    return {
        ...args,
        architecture: args.architecture ?? "x86_64",
        watermarkPattern: args.watermarkPattern ?? WATERMARK_PATTERN,
        secretKmsKeyArns: args.secretKmsKeyArns ?? [],
        scheduleTimezone: args.scheduleTimezone ?? "UTC",
        deadLetterRetentionSeconds: args.deadLetterRetentionSeconds ?? 1_209_600,
        network: resolveNetwork(args.network),
    };
}

/** Where a scheduled run's role policy lets it write its logs and dead letters, in which region and partition. */
export interface ScheduledWorkPlace {
    readonly prefix: string;
    readonly logGroupArn: pulumi.Input<string>;
    readonly deadLetterQueueArn: pulumi.Input<string>;
    readonly region: pulumi.Input<string>;
    readonly dnsSuffix: pulumi.Input<string>;
}

/**
 * The role policy of a scheduled run, from the one builder of its kind, so that a Lambda function
 * and a Fargate task of the same kind hold exactly the same permissions.
 */
export function scheduledWorkPolicy(
    a: Pick<ResolvedScheduledWork, "kind" | "watermarkPattern" | "bucketArn" | "kmsKeyArn" | "secretArns" | "secretKmsKeyArns">,
    place: ScheduledWorkPlace,
): pulumi.Output<string> {
    const { kind, watermarkPattern } = a;
    return pulumi
        .all([a.bucketArn, a.kmsKeyArn, pulumi.all([...a.secretArns]), pulumi.all([...a.secretKmsKeyArns]), place.logGroupArn, place.deadLetterQueueArn, place.region, place.dnsSuffix])
        .apply(([bucketArn, kmsKeyArn, secretArns, secretKmsKeyArns, logGroupArn, deadLetterQueueArn, region, dnsSuffix]) => {
            const input: FunctionPolicyInput = { region, dnsSuffix, bucketArn, prefix: place.prefix, kmsKeyArn, secretArns, secretKmsKeyArns, logGroupArn, deadLetterQueueArn };
            return JSON.stringify(kind === "dump" ? dumpRolePolicy(input) : kind === "export" ? exportRolePolicy({ ...input, watermarkPattern }) : verifyRolePolicy(input));
        });
}
