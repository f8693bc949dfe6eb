import * as pulumi from "@pulumi/pulumi";
import { checkInt, checkScheduledWork, runRecords, scheduledWorkDefaults, scheduledWorkPolicy, type ScheduledWorkArgs } from "./scheduledWork";
import * as aws from "@pulumi/aws";
import { awsContext, regionOf } from "./context";
import {
    FunctionKind,
    normalizePrefix,
    schedulerAssumeRolePolicy,
} from "./documents/functionPolicies";
import {
    DEFAULT_RUN_TIMEOUT_SECONDS,
    ecsTasksAssumeRolePolicy,
    fargateSchedulerRolePolicy,
    fargateSizeProblems,
    runnerContainerDefinitions,
    taskEventsLogPolicy,
    taskExecutionRolePolicy,
    taskFailedEventPattern,
} from "./documents/fargate";
import { ResolvedNetwork, functionSecurityGroup } from "./functionNetwork";

export interface FargateRunnerArgs extends ScheduledWorkArgs {
    /** ARN of the image's ECR repository (FunctionImage.repositoryArn): the only one the execution role pulls from. Required. */
    readonly imageRepositoryArn: pulumi.Input<string>;
    /**
     * ECS cluster the task runs in (pass one runner's clusterArn to the others to share it).
     * @default a new cluster of this runner
     */
    readonly clusterArn?: pulumi.Input<string>;
    /**
     * Task family; the log group is /ecs/<name>, the roles <name>-task, <name>-exec and <name>-task-sched, the queue <name>-task-dlq, the task-failure rule <name>-task-failed and its log policy <name>-task-events.
     * @default the component name
     */
    readonly runnerName?: string;
    /**
     * CPU units (1024 = 1 vCPU): 256, 512, 1024, 2048, 4096, 8192 or 16384.
     * @default 1024
     */
    readonly cpu?: number;
    /**
     * MiB of memory; must be a Fargate combination with cpu.
     * @default 4096
     */
    readonly memoryMb?: number;
    /**
     * GiB of ephemeral storage (the container's disk, /tmp included), 21..200.
     * @default 50
     */
    readonly ephemeralStorageGiB?: number;
    /**
     * Seconds after which the handler's deadline checks stop the run (RUN_TIMEOUT_SECONDS), 60..1209600; Fargate itself has no time limit.
     * @default 86400
     */
    readonly timeoutSeconds?: number;
    /**
     * Days the log group keeps the task's logs.
     * @default 365
     */
    readonly logRetentionDays?: number;
    /**
     * Retries of a run the scheduler could not start (RunTask failed), 0..185.
     * @default 2
     */
    readonly retryAttempts?: number;
    /**
     * Seconds a run may wait to be started before it goes to the dead-letter queue, 60..86400.
     * @default 3600
     */
    readonly maxEventAgeSeconds?: number;
    /**
     * A TaskEventsLogPolicy (or another CloudWatch Logs resource policy) that already lets
     * EventBridge write to this runner's log group `/ecs/<runnerName>`. An
     * account holds at most 10 resource policies per region, so a stack with several runners makes
     * one for all of them and passes it to each.
     * @default a policy of this runner's own, `<runnerName>-task-events`
     */
    readonly taskEventsLogPolicy?: pulumi.Resource;
    /**
     * Tags of every resource.
     * @default {}
     */
    readonly tags?: Readonly<Record<string, string>>;
}

type Resolved = Required<Omit<FargateRunnerArgs, "network" | "clusterArn" | "taskEventsLogPolicy">> & Pick<FargateRunnerArgs, "clusterArn" | "taskEventsLogPolicy"> & { readonly network: ResolvedNetwork };

const DEFAULTS = {
    cpu: 1024,
    memoryMb: 4096,
    ephemeralStorageGiB: 50,
    timeoutSeconds: DEFAULT_RUN_TIMEOUT_SECONDS,
    logRetentionDays: 365,
    retryAttempts: 2,
    maxEventAgeSeconds: 3600,
    tags: {} as Readonly<Record<string, string>>,
};

function withDefaults(name: string, args: FargateRunnerArgs): Resolved {
    return {
        ...args,
        ...scheduledWorkDefaults(args),
        runnerName: args.runnerName ?? name,
        cpu: args.cpu ?? DEFAULTS.cpu,
        memoryMb: args.memoryMb ?? DEFAULTS.memoryMb,
        ephemeralStorageGiB: args.ephemeralStorageGiB ?? DEFAULTS.ephemeralStorageGiB,
        timeoutSeconds: args.timeoutSeconds ?? DEFAULTS.timeoutSeconds,
        logRetentionDays: args.logRetentionDays ?? DEFAULTS.logRetentionDays,
        retryAttempts: args.retryAttempts ?? DEFAULTS.retryAttempts,
        maxEventAgeSeconds: args.maxEventAgeSeconds ?? DEFAULTS.maxEventAgeSeconds,
        tags: args.tags ?? DEFAULTS.tags,
    };
}

/**
 * Stem of the runner's scheduler role and dead-letter queue. They differ from a BackupFunction's
 * of the same name (`<name>-sched`, `<name>-dlq`): when a database moves between the runners, Pulumi
 * creates the new component before it deletes the old one, and role names are unique in the
 * account (IAM User Guide, "IAM object quotas and requirements": "Names of users, groups, roles,
 * policies ... must be unique within the account"), queue names in the account and region.
 */
const RUN_STEM_SUFFIX = "-task";

/** Names of the runner's IAM roles. */
export function runnerRoleNames(runnerName: string): { readonly task: string; readonly execution: string; readonly scheduler: string } {
    return { task: `${runnerName}-task`, execution: `${runnerName}-exec`, scheduler: `${runnerName}${RUN_STEM_SUFFIX}-sched` };
}

/** Name of a runner's log group. */
export function runnerLogGroupName(runnerName: string): string {
    return `/ecs/${runnerName}`;
}

export interface TaskEventsLogPolicyArgs {
    /** Name of the policy, unique in the account and region. Required. */
    readonly policyName: string;
    /** Runners (their runnerName) whose log groups `/ecs/<name>` EventBridge may write to. Required, at least one. */
    readonly runnerNames: readonly string[];
}

/**
 * One CloudWatch Logs resource policy letting EventBridge write the task-failure events of every
 * runner named to its log group: pass it to each of them as `taskEventsLogPolicy`. An account
 * holds at most 10 resource policies per region, so a stack with several runners shares one. The
 * log groups' ARNs come from the names, so the policy exists before the runners, and their rules'
 * targets wait for it.
 */
export class TaskEventsLogPolicy extends pulumi.ComponentResource {
    /** Name of the policy. */
    public readonly policyName: string;

    constructor(name: string, args: TaskEventsLogPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:aws:TaskEventsLogPolicy", name, {}, opts);
        if (args.runnerNames.length === 0) {
            throw new pulumi.ResourceError("runnerNames: [] is not allowed; expected the runnerName of at least one FargateRunner", this);
        }
        const names = args.runnerNames.map((n) => runnerLogGroupName(n));
        const ctx = awsContext(this);
        const region = regionOf(this);
        const policy = new aws.cloudwatch.LogResourcePolicy(`${name}-policy`, {
            policyName: args.policyName,
            policyDocument: pulumi.all([ctx.partition, region, ctx.accountId]).apply(([partition, r, accountId]) =>
                JSON.stringify(taskEventsLogPolicy({ logGroupArns: names.map((n) => `arn:${partition}:logs:${r}:${accountId}:log-group:${n}`) }))),
        }, { parent: this });
        this.policyName = args.policyName;
        this.registerOutputs({ policyName: policy.policyName });
    }
}

/**
 * One scheduled backup function run as an ECS Fargate task, for databases whose dump or
 * verification does not fit Lambda's 15 minutes or 10 GB of /tmp: the function image with the
 * kind's handler run once, a task role with the same least-privilege policy as the Lambda
 * function's, an execution role that only pulls the image and writes the logs, the same security
 * group rules, an encrypted log group with retention, and an EventBridge Scheduler schedule that
 * runs the task (RunTask, Fargate, no public IP) with retries and a KMS-encrypted dead-letter queue;
 * an EventBridge rule matching the runner's tasks that stop without succeeding (their events kept
 * in the log group; BackupAlarms alarms on the rule's matches).
 */
export class FargateRunner extends pulumi.ComponentResource {
    /** What the task runs: dump, export or verify. */
    public readonly kind: FunctionKind;
    /** Task family, and stem of every name (plain, for alarms). */
    public readonly runnerName: string;
    /** ARN of the ECS cluster the task runs in (this runner's or the one given). */
    public readonly clusterArn: pulumi.Output<string>;
    /** ARN of the task definition. */
    public readonly taskDefinitionArn: pulumi.Output<string>;
    /** ARN of the task role (what the handler may do). */
    public readonly taskRoleArn: pulumi.Output<string>;
    /** ARN of the execution role (what ECS may do to start the task). */
    public readonly executionRoleArn: pulumi.Output<string>;
    /** Name of the task's log group. */
    public readonly logGroupName: pulumi.Output<string>;
    /** ID of the task's security group. */
    public readonly securityGroupId: pulumi.Output<string>;
    /** Dead-letter queue name (plain, for alarms). */
    public readonly deadLetterQueueName: string;
    /** Name of the EventBridge rule matching this runner's tasks that stopped without succeeding (plain, for alarms). */
    public readonly taskFailedRuleName: string;
    /** ARN of the dead-letter queue. */
    public readonly deadLetterQueueArn: pulumi.Output<string>;
    /** ARN of the schedule. */
    public readonly scheduleArn: pulumi.Output<string>;
    /** Prefix list of the S3 gateway endpoint this runner created or was given (undefined without one). */
    public readonly s3PrefixListId: pulumi.Output<string> | undefined;

    constructor(name: string, args: FargateRunnerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:aws:FargateRunner", name, {}, opts);
        const a = withDefaults(name, args);
        this.validate(a);
        const prefix = normalizePrefix(a.prefix);
        const roleNames = runnerRoleNames(a.runnerName);
        const tags = { ...a.tags, "pg-backup-stack:function": a.kind, "pg-backup-stack:runner": "fargate" };
        const parent = { parent: this };
        const ctx = awsContext(this);
        const region = regionOf(this);

        const { logGroup, deadLetterQueue: dlq, deadLetterQueueName } = runRecords(this, name, {
            stem: `${a.runnerName}${RUN_STEM_SUFFIX}`,
            logGroupName: runnerLogGroupName(a.runnerName),
            logRetentionDays: a.logRetentionDays,
            kmsKeyArn: a.kmsKeyArn,
            deadLetterRetentionSeconds: a.deadLetterRetentionSeconds,
            tags,
        });

        const trust = ctx.accountId.apply((accountId) => JSON.stringify(ecsTasksAssumeRolePolicy(accountId)));
        const taskRole = new aws.iam.Role(`${name}-task-role`, {
            name: roleNames.task,
            description: `Task role of the ${a.kind} runner ${a.runnerName}: what the handler may do`,
            assumeRolePolicy: trust,
            tags,
        }, parent);
        // The same builder as the Lambda function's role, so that both runners hold the same permissions.
        const taskPolicy = new aws.iam.RolePolicy(`${name}-task-policy`, {
            role: taskRole.id,
            policy: scheduledWorkPolicy(a, { prefix, runtime: { kind: "fargate" }, region, dnsSuffix: ctx.dnsSuffix }),
        }, parent);

        const executionRole = new aws.iam.Role(`${name}-exec-role`, {
            name: roleNames.execution,
            description: `Execution role of the ${a.kind} runner ${a.runnerName}: image pull and logs only`,
            assumeRolePolicy: trust,
            tags,
        }, parent);
        const executionPolicy = new aws.iam.RolePolicy(`${name}-exec-policy`, {
            role: executionRole.id,
            policy: pulumi.all([a.imageRepositoryArn, logGroup.arn]).apply(([repositoryArn, logGroupArn]) =>
                JSON.stringify(taskExecutionRolePolicy({ repositoryArn, logGroupArn }))),
        }, parent);

        const network = functionSecurityGroup(this, name, { kind: a.kind, functionName: a.runnerName, network: a.network }, region, tags);

        const clusterArn = a.clusterArn !== undefined
            ? pulumi.output(a.clusterArn)
            : new aws.ecs.Cluster(`${name}-cluster`, { name: a.runnerName, tags }, parent).arn;

        const environment = pulumi.output(a.environment).apply((env) => ({ ...env, RUN_TIMEOUT_SECONDS: String(a.timeoutSeconds) }));
        const taskDefinition = new aws.ecs.TaskDefinition(`${name}-task`, {
            family: a.runnerName,
            requiresCompatibilities: ["FARGATE"],
            networkMode: "awsvpc",
            cpu: String(a.cpu),
            memory: String(a.memoryMb),
            ephemeralStorage: { sizeInGib: a.ephemeralStorageGiB },
            runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: a.architecture === "arm64" ? "ARM64" : "X86_64" },
            taskRoleArn: taskRole.arn,
            executionRoleArn: executionRole.arn,
            containerDefinitions: pulumi.all([a.imageUri, environment, logGroup.name, region]).apply(([imageUri, env, logGroupName, r]) =>
                runnerContainerDefinitions({ kind: a.kind, imageUri, environment: env, logGroupName, region: r })),
            tags,
        }, { parent: this, dependsOn: [taskPolicy, executionPolicy] });

        const schedulerRole = new aws.iam.Role(`${name}-scheduler-role`, {
            name: roleNames.scheduler,
            description: `EventBridge Scheduler role of the ${a.kind} runner ${a.runnerName}`,
            assumeRolePolicy: ctx.accountId.apply((accountId) => JSON.stringify(schedulerAssumeRolePolicy(accountId))),
            tags,
        }, parent);
        const schedulerPolicy = new aws.iam.RolePolicy(`${name}-scheduler-policy`, {
            role: schedulerRole.id,
            policy: pulumi.all([taskDefinition.arn, clusterArn, taskRole.arn, executionRole.arn, dlq.arn, a.kmsKeyArn, region, ctx.dnsSuffix])
                .apply(([taskDefinitionArn, cluster, taskRoleArn, executionRoleArn, deadLetterQueueArn, kmsKeyArn, r, dnsSuffix]) =>
                    JSON.stringify(fargateSchedulerRolePolicy({ taskDefinitionArn, clusterArn: cluster, taskRoleArn, executionRoleArn, deadLetterQueueArn, kmsKeyArn, region: r, dnsSuffix }))),
        }, parent);

        // EventBridge Scheduler's ECS target: the target ARN is the cluster's, EcsParameters name the
        // task definition, launch type and awsvpc network (EventBridge Scheduler User Guide, "Using
        // templated targets" / API Reference EcsParameters:
        // https://docs.aws.amazon.com/scheduler/latest/APIReference/API_EcsParameters.html).
        const schedule = new aws.scheduler.Schedule(`${name}-schedule`, {
            name: a.runnerName,
            description: `Runs the ${a.kind} task ${a.runnerName} on Fargate`,
            scheduleExpression: a.schedule,
            scheduleExpressionTimezone: a.scheduleTimezone,
            flexibleTimeWindow: { mode: "OFF" },
            state: "ENABLED",
            target: {
                arn: clusterArn,
                roleArn: schedulerRole.arn,
                ecsParameters: {
                    taskDefinitionArn: taskDefinition.arn,
                    launchType: "FARGATE",
                    platformVersion: "LATEST",
                    taskCount: 1,
                    networkConfiguration: {
                        assignPublicIp: false,
                        subnets: [...a.network.subnetIds],
                        securityGroups: [network.securityGroup.id],
                    },
                },
                retryPolicy: { maximumRetryAttempts: a.retryAttempts, maximumEventAgeInSeconds: a.maxEventAgeSeconds },
                deadLetterConfig: { arn: dlq.arn },
            },
        }, { parent: this, dependsOn: [schedulerPolicy] });

        // Tasks that stop without succeeding, caught from ECS's own events: they cover what the
        // handler cannot report (image pull failure, out-of-memory kill). The rule writes each such
        // event to the runner's log group, where the on-call finds its stopCode and stoppedReason.
        const taskFailedRuleName = `${a.runnerName}-task-failed`;
        const rule = new aws.cloudwatch.EventRule(`${name}-task-failed`, {
            name: taskFailedRuleName,
            description: `Tasks of the ${a.kind} runner ${a.runnerName} that stopped without succeeding`,
            eventPattern: clusterArn.apply((cluster) => JSON.stringify(taskFailedEventPattern({ clusterArn: cluster, family: a.runnerName }))),
            tags,
        }, parent);
        const eventsLogPolicy = a.taskEventsLogPolicy ?? new aws.cloudwatch.LogResourcePolicy(`${name}-task-events`, {
            policyName: `${a.runnerName}-task-events`,
            policyDocument: logGroup.arn.apply((logGroupArn) => JSON.stringify(taskEventsLogPolicy({ logGroupArns: [logGroupArn] }))),
        }, parent);
        new aws.cloudwatch.EventTarget(`${name}-task-failed-log`, {
            rule: rule.name,
            arn: logGroup.arn,
        }, { parent: this, dependsOn: [eventsLogPolicy] });

        this.kind = a.kind;
        this.runnerName = a.runnerName;
        this.taskFailedRuleName = taskFailedRuleName;
        this.clusterArn = clusterArn;
        this.taskDefinitionArn = taskDefinition.arn;
        this.taskRoleArn = taskRole.arn;
        this.executionRoleArn = executionRole.arn;
        this.logGroupName = logGroup.name;
        this.securityGroupId = network.securityGroup.id;
        this.deadLetterQueueName = deadLetterQueueName;
        this.deadLetterQueueArn = dlq.arn;
        this.scheduleArn = schedule.arn;
        this.s3PrefixListId = network.s3PrefixListId;
        this.registerOutputs({
            runnerName: this.runnerName,
            clusterArn: this.clusterArn,
            taskDefinitionArn: this.taskDefinitionArn,
            taskRoleArn: this.taskRoleArn,
            executionRoleArn: this.executionRoleArn,
            logGroupName: this.logGroupName,
            securityGroupId: this.securityGroupId,
            deadLetterQueueArn: this.deadLetterQueueArn,
            scheduleArn: this.scheduleArn,
            taskFailedRuleName: this.taskFailedRuleName,
            ...(this.s3PrefixListId === undefined ? {} : { s3PrefixListId: this.s3PrefixListId }),
        });
    }

    /** Checks every plain argument before anything is created. */
    private validate(a: Resolved): void {
        const fail = (message: string): pulumi.ResourceError => new pulumi.ResourceError(message, this);
        checkScheduledWork(fail, a, { key: "runnerName", name: a.runnerName, suffixes: 'the roles add "-task", "-exec" and "-task-sched", the queue "-task-dlq", the rule "-task-failed"', unit: "task" });
        const sizeProblems = fargateSizeProblems(a.cpu, a.memoryMb, a.ephemeralStorageGiB);
        if (sizeProblems.length > 0) throw fail(sizeProblems.join("; "));
        checkInt(fail, "timeoutSeconds", a.timeoutSeconds, 60, 1_209_600);
        // EventBridge Scheduler RetryPolicy: MaximumRetryAttempts 0..185, MaximumEventAgeInSeconds 60..86400
        // (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html).
        checkInt(fail, "retryAttempts", a.retryAttempts, 0, 185);
        checkInt(fail, "maxEventAgeSeconds", a.maxEventAgeSeconds, 60, 86_400);
        if ("RUN_TIMEOUT_SECONDS" in a.environment || "AWS_REGION" in a.environment) {
            throw fail("environment: RUN_TIMEOUT_SECONDS and AWS_REGION are set by the runner (timeoutSeconds and the provider's region); leave them out");
        }
    }
}
