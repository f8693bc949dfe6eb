import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { plainStrings } from "./context";
import {
    FUNCTION_KINDS,
    WATERMARK_PATTERN,
    dumpRolePolicy,
    exportRolePolicy,
    normalizePrefix,
    verifyRolePolicy,
    type FunctionKind,
    type FunctionPolicyInput,
    type RoleRuntime,
} from "./documents/functionPolicies";
import { LOG_RETENTION_DAYS } from "./documents/logs";
import { ScheduleError, parseSchedule } from "./documents/schedule";
import { environmentProblems } from "./functionEnv";
import { checkNetwork, resolveNetwork, type BackupFunctionNetwork, type ResolvedNetwork } from "./functionNetwork";

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
    readonly deadLetterRetentionSeconds?: number;
}

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

/** Where a scheduled run works (its prefix, region and partition) and where it runs: a Lambda function's role also writes its logs and dead letters (RoleRuntime). */
export interface ScheduledWorkPlace {
    readonly prefix: string;
    readonly runtime: { readonly kind: "lambda"; readonly logGroupArn: pulumi.Input<string>; readonly deadLetterQueueArn: pulumi.Input<string> } | { readonly kind: "fargate" };
    readonly region: pulumi.Input<string>;
    readonly dnsSuffix: pulumi.Input<string>;
}

/**
 * The role policy of a scheduled run, from the one builder of its kind, so that a Lambda function
 * and a Fargate task of the same kind hold the same permissions on the data; a Lambda function's
 * also writes its logs, creates its interfaces and sends its dead letters (RoleRuntime).
 */
export function scheduledWorkPolicy(
    a: Pick<ResolvedScheduledWork, "kind" | "watermarkPattern" | "bucketArn" | "kmsKeyArn" | "secretArns" | "secretKmsKeyArns">,
    place: ScheduledWorkPlace,
): pulumi.Output<string> {
    const { kind, watermarkPattern } = a;
    const runtime = place.runtime;
    const lambdaPlaces: pulumi.Output<{ logGroupArn: string; deadLetterQueueArn: string } | undefined> = runtime.kind === "lambda"
        ? pulumi.all([runtime.logGroupArn, runtime.deadLetterQueueArn]).apply(([logGroupArn, deadLetterQueueArn]) => ({ logGroupArn, deadLetterQueueArn }))
        : pulumi.output(undefined);
    return pulumi
        .all([a.bucketArn, a.kmsKeyArn, pulumi.all([...a.secretArns]), pulumi.all([...a.secretKmsKeyArns]), place.region, place.dnsSuffix, lambdaPlaces])
        .apply(([bucketArn, kmsKeyArn, secretArns, secretKmsKeyArns, region, dnsSuffix, lambda]) => {
            const role: RoleRuntime = lambda === undefined ? { kind: "fargate" } : { kind: "lambda", ...lambda };
            const input: FunctionPolicyInput = { region, dnsSuffix, bucketArn, prefix: place.prefix, kmsKeyArn, secretArns, secretKmsKeyArns, runtime: role };
            return JSON.stringify(kind === "dump" ? dumpRolePolicy(input) : kind === "export" ? exportRolePolicy({ ...input, watermarkPattern }) : verifyRolePolicy(input));
        });
}

/** Throws `fail(...)` naming the key, the value and the range when `value` is not an integer in min..max. */
export function checkInt(fail: (m: string) => Error, key: string, value: number, min: number, max: number): void {
    if (!Number.isInteger(value) || value < min || value > max) throw fail(`${key}: ${value} is out of range ${min}..${max}`);
}

/** How a runner names itself in validation messages: its name's key and value, what it adds to the name, and what it calls a run. */
export interface ScheduledWorkIdentity {
    readonly key: "functionName" | "runnerName";
    readonly name: string;
    /** The suffixes its resources add to the name, for the message about the name's length. */
    readonly suffixes: string;
    /** "function" or "task". */
    readonly unit: string;
}

/**
 * The checks both runners make of the arguments they share, before anything is created: kind,
 * name, architecture, prefix, log and dead-letter retention, schedule, secrets, environment and
 * network. Each runner checks its own sizes and retry ranges besides.
 */
export function checkScheduledWork(
    fail: (m: string) => Error,
    a: ResolvedScheduledWork & { readonly logRetentionDays: number },
    who: ScheduledWorkIdentity,
): void {
    if (!FUNCTION_KINDS.includes(a.kind)) {
        throw fail(`kind: "${String(a.kind)}" is not allowed; expected one of ${FUNCTION_KINDS.join(", ")}`);
    }
    if (!/^[A-Za-z0-9_-]{1,50}$/.test(who.name)) {
        throw fail(`${who.key}: "${who.name}" is not allowed; expected 1-50 letters, digits, "-" or "_" (${who.suffixes})`);
    }
    if (a.architecture !== "x86_64" && a.architecture !== "arm64") {
        throw fail(`architecture: "${String(a.architecture)}" is not allowed; expected x86_64 or arm64`);
    }
    try {
        normalizePrefix(a.prefix);
    } catch (err) {
        throw fail(err instanceof Error ? err.message : String(err));
    }
    checkInt(fail, "deadLetterRetentionSeconds", a.deadLetterRetentionSeconds, 60, 1_209_600);
    if (!LOG_RETENTION_DAYS.includes(a.logRetentionDays)) {
        throw fail(`logRetentionDays: ${a.logRetentionDays} is not allowed; expected one of ${LOG_RETENTION_DAYS.join(", ")}`);
    }
    try {
        parseSchedule(a.schedule);
    } catch (err) {
        if (err instanceof ScheduleError) throw fail(`schedule: "${a.schedule}" ${err.message}`);
        throw err;
    }
    if (a.secretArns.length === 0) {
        throw fail(`secretArns: [] is not allowed; the ${a.kind} ${who.unit} needs ${a.kind === "verify" ? "the verification server's secret" : "its database's secret"}`);
    }
    for (const [i, arn] of plainStrings(a.secretArns).entries()) {
        if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/.test(arn)) {
            throw fail(`secretArns[${i}]: "${arn}" is not a Secrets Manager secret ARN`);
        }
    }
    const envProblems = environmentProblems(a.environment);
    if (envProblems.length > 0) throw fail(envProblems.join("; "));
    checkNetwork(fail, a.network);
}

/** The log group and the dead-letter queue of a scheduled run, both encrypted with the backup key. */
export interface RunRecords {
    readonly logGroup: aws.cloudwatch.LogGroup;
    readonly deadLetterQueue: aws.sqs.Queue;
    readonly deadLetterQueueName: string;
}

/**
 * Creates a run's log group (`logGroupName`, with the retention) and its dead-letter queue
 * (`<stem>-dlq`, keeping messages `deadLetterRetentionSeconds`), both under `parent` and encrypted
 * with the backup key. SQS reuses a data key for 300 s (kmsDataKeyReusePeriodSeconds), so the
 * queue asks KMS at most once per 5 minutes.
 */
export function runRecords(
    parent: pulumi.Resource,
    name: string,
    args: { readonly stem: string; readonly logGroupName: string; readonly logRetentionDays: number; readonly kmsKeyArn: pulumi.Input<string>; readonly deadLetterRetentionSeconds: number; readonly tags: Record<string, string> },
): RunRecords {
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, {
        name: args.logGroupName,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.kmsKeyArn,
        tags: args.tags,
    }, { parent });
    const deadLetterQueueName = `${args.stem}-dlq`;
    const deadLetterQueue = new aws.sqs.Queue(`${name}-dlq`, {
        name: deadLetterQueueName,
        kmsMasterKeyId: args.kmsKeyArn,
        kmsDataKeyReusePeriodSeconds: 300,
        messageRetentionSeconds: args.deadLetterRetentionSeconds,
        tags: args.tags,
    }, { parent });
    return { logGroup, deadLetterQueue, deadLetterQueueName };
}
