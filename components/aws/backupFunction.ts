import * as pulumi from "@pulumi/pulumi";
import { checkInt, checkScheduledWork, runRecords, scheduledWorkDefaults, scheduledWorkPolicy, type ScheduledWorkArgs } from "./scheduledWork";
import * as aws from "@pulumi/aws";
import { awsContext, regionOf } from "./context";
import {
    FunctionKind,
    lambdaAssumeRolePolicy,
    normalizePrefix,
    schedulerAssumeRolePolicy,
    schedulerRolePolicy,
} from "./documents/functionPolicies";
import { LOG_RETENTION_DAYS } from "./documents/logs";
import { BackupFunctionNetwork, ResolvedNetwork, functionSecurityGroup } from "./functionNetwork";

/** Handler of each function kind inside the image (`<dir>/handler.handler` below /var/task). */
export const FUNCTION_HANDLERS: Readonly<Record<FunctionKind, string>> = {
    dump: "dump/handler.handler",
    export: "export/handler.handler",
    verify: "verify/handler.handler",
};

export { LOG_RETENTION_DAYS };

export type { BackupFunctionNetwork };

export interface BackupFunctionArgs extends ScheduledWorkArgs {
    /**
     * Lambda function name; the log group is /aws/lambda/<name>, the roles <name>-fn and <name>-sched.
     * @default the component name
     */
    readonly functionName?: string;
    /**
     * MB of memory, 128..10240.
     * @default 1024
     */
    readonly memoryMb?: number;
    /**
     * Seconds before the run is stopped, 30..900.
     * @default 900
     */
    readonly timeoutSeconds?: number;
    /**
     * MB of /tmp, 512..10240.
     * @default 512
     */
    readonly ephemeralStorageMb?: number;
    /**
     * Concurrent runs reserved and allowed: one, so that runs never overlap; 0 leaves the function unreserved (runs may overlap), for accounts whose concurrency quota leaves nothing to reserve.
     * @default 1
     */
    readonly reservedConcurrency?: number;
    /**
     * Days the log group keeps the function's logs.
     * @default 365
     */
    readonly logRetentionDays?: number;
    /**
     * Event the schedule sends.
     * @default '{"trigger":"schedule"}'
     */
    readonly scheduleInput?: string;
    /**
     * Retries of a run, by the scheduler (delivery) and by Lambda (a failed run), 0..2.
     * @default 2
     */
    readonly retryAttempts?: number;
    /**
     * Seconds a run may wait to be delivered or retried before it goes to the dead-letter queue, 60..21600.
     * @default 3600
     */
    readonly maxEventAgeSeconds?: number;
    /**
     * Tags of every resource.
     * @default {}
     */
    readonly tags?: Readonly<Record<string, string>>;
}

type Resolved = Required<Omit<BackupFunctionArgs, "network">> & { readonly network: ResolvedNetwork };

const DEFAULTS = {
    memoryMb: 1024,
    timeoutSeconds: 900,
    ephemeralStorageMb: 512,
    reservedConcurrency: 1,
    logRetentionDays: 365,
    scheduleInput: JSON.stringify({ trigger: "schedule" }),
    retryAttempts: 2,
    maxEventAgeSeconds: 3600,
    tags: {} as Readonly<Record<string, string>>,
};

function withDefaults(name: string, args: BackupFunctionArgs): Resolved {
    return {
        ...args,
        ...scheduledWorkDefaults(args),
        functionName: args.functionName ?? name,
        memoryMb: args.memoryMb ?? DEFAULTS.memoryMb,
        timeoutSeconds: args.timeoutSeconds ?? DEFAULTS.timeoutSeconds,
        ephemeralStorageMb: args.ephemeralStorageMb ?? DEFAULTS.ephemeralStorageMb,
        reservedConcurrency: args.reservedConcurrency ?? DEFAULTS.reservedConcurrency,
        logRetentionDays: args.logRetentionDays ?? DEFAULTS.logRetentionDays,
        scheduleInput: args.scheduleInput ?? DEFAULTS.scheduleInput,
        retryAttempts: args.retryAttempts ?? DEFAULTS.retryAttempts,
        maxEventAgeSeconds: args.maxEventAgeSeconds ?? DEFAULTS.maxEventAgeSeconds,
        tags: args.tags ?? DEFAULTS.tags,
    };
}

/** Names of the function's IAM roles, known before anything exists (a bucket policy can name them). */
export function functionRoleNames(functionName: string): { readonly function: string; readonly scheduler: string } {
    return { function: `${functionName}-fn`, scheduler: `${functionName}-sched` };
}

/** ARN of the function's execution role, from plain values: for the bucket policy's writer or reader list. */
export function functionRoleArn(partition: string, accountId: string, functionName: string): string {
    return `arn:${partition}:iam::${accountId}:role/${functionRoleNames(functionName).function}`;
}

/**
 * One scheduled backup function: a container-image Lambda in the database's VPC with its own
 * least-privilege role, security group, encrypted log group with retention, an EventBridge
 * Scheduler schedule with retries, and a KMS-encrypted dead-letter queue that receives runs the
 * scheduler could not deliver and runs that failed after Lambda's retries.
 */
export class BackupFunction extends pulumi.ComponentResource {
    /** What the function runs: dump, export or verify. */
    public readonly kind: FunctionKind;
    /** Lambda function name (plain, for alarms and dashboards). */
    public readonly functionName: string;
    /** ARN of the Lambda function. */
    public readonly functionArn: pulumi.Output<string>;
    /** The function's timeout, seconds. */
    public readonly timeoutSeconds: number;
    /** ARN of the function's role. */
    public readonly roleArn: pulumi.Output<string>;
    /** Name of the function's role. */
    public readonly roleName: pulumi.Output<string>;
    /** Name of the function's log group. */
    public readonly logGroupName: pulumi.Output<string>;
    /** ID of the function's security group. */
    public readonly securityGroupId: pulumi.Output<string>;
    /** Dead-letter queue name (plain, for alarms and dashboards). */
    public readonly deadLetterQueueName: string;
    /** ARN of the dead-letter queue. */
    public readonly deadLetterQueueArn: pulumi.Output<string>;
    /** URL of the dead-letter queue. */
    public readonly deadLetterQueueUrl: pulumi.Output<string>;
    /** ARN of the schedule. */
    public readonly scheduleArn: pulumi.Output<string>;
    /** Prefix list of the S3 gateway endpoint this function created or was given (undefined without one): pass it to the other functions. */
    public readonly s3PrefixListId: pulumi.Output<string> | undefined;

    constructor(name: string, args: BackupFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:aws:BackupFunction", name, {}, opts);
        const a = withDefaults(name, args);
        this.validate(a);
        const prefix = normalizePrefix(a.prefix);
        const roleNames = functionRoleNames(a.functionName);
        const tags = { ...a.tags, "pg-backup-stack:function": a.kind };
        const parent = { parent: this };
        const ctx = awsContext(this);
        const region = regionOf(this);

        const { logGroup, deadLetterQueue: dlq, deadLetterQueueName } = runRecords(this, name, {
            stem: a.functionName,
            logGroupName: `/aws/lambda/${a.functionName}`,
            logRetentionDays: a.logRetentionDays,
            kmsKeyArn: a.kmsKeyArn,
            deadLetterRetentionSeconds: a.deadLetterRetentionSeconds,
            tags,
        });

        const role = new aws.iam.Role(`${name}-role`, {
            name: roleNames.function,
            description: `Execution role of the ${a.kind} function ${a.functionName}`,
            assumeRolePolicy: JSON.stringify(lambdaAssumeRolePolicy()),
            tags,
        }, parent);

        const rolePolicy = new aws.iam.RolePolicy(`${name}-role-policy`, {
            role: role.id,
            policy: scheduledWorkPolicy(a, { prefix, runtime: { kind: "lambda", logGroupArn: logGroup.arn, deadLetterQueueArn: dlq.arn }, region, dnsSuffix: ctx.dnsSuffix }),
        }, parent);

        const network = functionSecurityGroup(this, name, { kind: a.kind, functionName: a.functionName, network: a.network }, region, tags);

        const fn = new aws.lambda.Function(`${name}-function`, {
            name: a.functionName,
            description: `pg-backup-stack ${a.kind} function`,
            role: role.arn,
            packageType: "Image",
            imageUri: a.imageUri,
            imageConfig: { commands: [FUNCTION_HANDLERS[a.kind]] },
            architectures: [a.architecture],
            memorySize: a.memoryMb,
            timeout: a.timeoutSeconds,
            ephemeralStorage: { size: a.ephemeralStorageMb },
            reservedConcurrentExecutions: unreservedOrReserved(a.reservedConcurrency),
            environment: { variables: { ...a.environment } },
            vpcConfig: { subnetIds: [...a.network.subnetIds], securityGroupIds: [network.securityGroup.id] },
            loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
            tags,
        }, { parent: this, dependsOn: [rolePolicy, logGroup] });

        new aws.lambda.FunctionEventInvokeConfig(`${name}-async`, {
            functionName: fn.name,
            maximumRetryAttempts: a.retryAttempts,
            maximumEventAgeInSeconds: a.maxEventAgeSeconds,
            destinationConfig: { onFailure: { destination: dlq.arn } },
        }, parent);

        const schedulerRole = new aws.iam.Role(`${name}-scheduler-role`, {
            name: roleNames.scheduler,
            description: `EventBridge Scheduler role of the ${a.kind} function ${a.functionName}`,
            assumeRolePolicy: ctx.accountId.apply((accountId) => JSON.stringify(schedulerAssumeRolePolicy(accountId))),
            tags,
        }, parent);
        const schedulerPolicy = new aws.iam.RolePolicy(`${name}-scheduler-policy`, {
            role: schedulerRole.id,
            policy: pulumi.all([fn.arn, dlq.arn, a.kmsKeyArn, region, ctx.dnsSuffix]).apply(([functionArn, deadLetterQueueArn, kmsKeyArn, r, dnsSuffix]) =>
                JSON.stringify(schedulerRolePolicy({ functionArn, deadLetterQueueArn, kmsKeyArn, region: r, dnsSuffix }))),
        }, parent);

        const schedule = new aws.scheduler.Schedule(`${name}-schedule`, {
            description: `Runs the ${a.kind} function ${a.functionName}`,
            scheduleExpression: a.schedule,
            scheduleExpressionTimezone: a.scheduleTimezone,
            flexibleTimeWindow: { mode: "OFF" },
            state: "ENABLED",
            target: {
                arn: fn.arn,
                roleArn: schedulerRole.arn,
                input: a.scheduleInput,
                retryPolicy: { maximumRetryAttempts: a.retryAttempts, maximumEventAgeInSeconds: a.maxEventAgeSeconds },
                deadLetterConfig: { arn: dlq.arn },
            },
        }, { parent: this, dependsOn: [schedulerPolicy] });

        this.kind = a.kind;
        this.functionName = a.functionName;
        this.functionArn = fn.arn;
        this.timeoutSeconds = a.timeoutSeconds;
        this.roleArn = role.arn;
        this.roleName = role.name;
        this.logGroupName = logGroup.name;
        this.securityGroupId = network.securityGroup.id;
        this.deadLetterQueueName = deadLetterQueueName;
        this.deadLetterQueueArn = dlq.arn;
        this.deadLetterQueueUrl = dlq.url;
        this.scheduleArn = schedule.arn;
        this.s3PrefixListId = network.s3PrefixListId;
        this.registerOutputs({
            functionName: this.functionName,
            functionArn: this.functionArn,
            roleArn: this.roleArn,
            logGroupName: this.logGroupName,
            securityGroupId: this.securityGroupId,
            deadLetterQueueArn: this.deadLetterQueueArn,
            scheduleArn: this.scheduleArn,
            ...(this.s3PrefixListId === undefined ? {} : { s3PrefixListId: this.s3PrefixListId }),
        });
    }

    /** Checks every plain argument before anything is created. */
    private validate(a: Resolved): void {
        const fail = (message: string): pulumi.ResourceError => new pulumi.ResourceError(message, this);
        checkScheduledWork(fail, a, { key: "functionName", name: a.functionName, suffixes: 'the roles add "-sched", the queue "-dlq"', unit: "function" });
        checkInt(fail, "memoryMb", a.memoryMb, 128, 10240);
        checkInt(fail, "timeoutSeconds", a.timeoutSeconds, 30, 900);
        checkInt(fail, "ephemeralStorageMb", a.ephemeralStorageMb, 512, 10240);
        checkInt(fail, "reservedConcurrency", a.reservedConcurrency, 0, 1000);
        checkInt(fail, "retryAttempts", a.retryAttempts, 0, 2);
        checkInt(fail, "maxEventAgeSeconds", a.maxEventAgeSeconds, 60, 21600);
        try {
            JSON.parse(a.scheduleInput);
        } catch {
            throw fail(`scheduleInput: ${JSON.stringify(a.scheduleInput)} is not JSON; the schedule sends it as the function's event`);
        }
    }
}

/**
 * The function's `reservedConcurrentExecutions`: 0 means unreserved, which the provider spells -1
 * (a reserved 0 would throttle every run). Lambda keeps at least 100 of the account's concurrency
 * unreserved ("You can reserve up to the Unreserved account concurrency value that is shown, minus
 * 100": AWS Lambda Developer Guide, "Configuring reserved concurrency for a function",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html), so an account with
 * a low quota cannot reserve even 1.
 */
export function unreservedOrReserved(reservedConcurrency: number): number {
    return reservedConcurrency === 0 ? -1 : reservedConcurrency;
}
