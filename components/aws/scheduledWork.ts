import type * as pulumi from "@pulumi/pulumi";
import { WATERMARK_PATTERN, type FunctionKind } from "./documents/functionPolicies";
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
