import { viaServiceHost } from "./keyPolicy";
import { FunctionKind, PrincipalPolicyDocument, SQS_SEND_KMS_ACTIONS, serviceAssumeRolePolicy } from "./functionPolicies";
import { PolicyDocument, policyDocument, sortedUnique } from "./policyDocument";

/**
 * Documents of the Fargate runner: the valid CPU and memory combinations, the task's container
 * definition, the trust policy of its roles, the execution role's policy and the scheduler
 * role's policy. Pure functions of plain values, deterministic JSON.
 */

/**
 * Seconds after which a Fargate run stops itself (the handler's deadline checks, RUN_TIMEOUT_SECONDS)
 * unless told otherwise: Fargate itself has no time limit.
 */
export const DEFAULT_RUN_TIMEOUT_SECONDS = 86_400;

/**
 * Memory (MiB) a Linux Fargate task may have for each CPU value (CPU units, 1024 = 1 vCPU).
 * Amazon ECS Developer Guide, "Amazon ECS task definition parameters for Fargate", Task size:
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 */
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
    256: [512, 1024, 2048],
    512: steps(1024, 4096, 1024),
    1024: steps(2048, 8192, 1024),
    2048: steps(4096, 16384, 1024),
    4096: steps(8192, 30720, 1024),
    8192: steps(16384, 61440, 4096),
    16384: steps(32768, 122880, 8192),
};

function steps(from: number, to: number, by: number): number[] {
    const out: number[] = [];
    for (let v = from; v <= to; v += by) out.push(v);
    return out;
}

/**
 * Ephemeral storage of a Fargate task (platform 1.4.0 or later), in GiB: "The minimum supported
 * value is 21 GiB and the maximum supported value is 200 GiB" (Amazon ECS API Reference,
 * EphemeralStorage: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_EphemeralStorage.html).
 */
export const FARGATE_MIN_EPHEMERAL_GIB = 21;
export const FARGATE_MAX_EPHEMERAL_GIB = 200;

/**
 * What is wrong with a Fargate size, each message naming its key (`<keyPrefix>cpu`, ...) and the
 * allowed values; empty when the size is valid.
 */
export function fargateSizeProblems(cpu: number, memoryMb: number, ephemeralStorageGiB: number, keyPrefix = ""): string[] {
    const problems: string[] = [];
    const cpus = Object.keys(FARGATE_SIZES).map(Number);
    const memories = FARGATE_SIZES[cpu];
    if (memories === undefined) {
        problems.push(`${keyPrefix}cpu: ${cpu} is not a Fargate CPU value; expected one of ${cpus.join(", ")} (1024 = 1 vCPU)`);
    } else if (!memories.includes(memoryMb)) {
        problems.push(`${keyPrefix}memoryMb: ${memoryMb} is not allowed with ${keyPrefix}cpu ${cpu}; expected one of ${memories.join(", ")}`);
    }
    if (!Number.isInteger(ephemeralStorageGiB) || ephemeralStorageGiB < FARGATE_MIN_EPHEMERAL_GIB || ephemeralStorageGiB > FARGATE_MAX_EPHEMERAL_GIB) {
        problems.push(`${keyPrefix}ephemeralStorageGiB: ${ephemeralStorageGiB} is out of range ${FARGATE_MIN_EPHEMERAL_GIB}..${FARGATE_MAX_EPHEMERAL_GIB}`);
    }
    return problems;
}

/** Name of the one container of a runner's task. */
export const RUNNER_CONTAINER = "runner";

/** Node.js of the Lambda base image (`/var/lang/bin`), and the functions' root (`LAMBDA_TASK_ROOT`). */
export const IMAGE_NODE = "/var/lang/bin/node";
export const IMAGE_TASK_ROOT = "/var/task";

/**
 * The container's command: the image's entry point is the Lambda runtime interface client, which
 * waits for invocations from a Lambda runtime API that a Fargate task does not have, so the entry
 * point is replaced by Node running `shared/runOnce.js`, which calls the kind's handler once and
 * exits 0 on success, 1 on failure.
 */
export function runnerCommand(kind: FunctionKind): { readonly entryPoint: readonly string[]; readonly command: readonly string[] } {
    return { entryPoint: [IMAGE_NODE], command: [`${IMAGE_TASK_ROOT}/shared/runOnce.js`, `${kind}/handler.handler`] };
}

export interface ContainerDefinitionInput {
    readonly kind: FunctionKind;
    readonly imageUri: string;
    /** The handler's variables (the same as the Lambda function's). */
    readonly environment: Readonly<Record<string, string>>;
    readonly logGroupName: string;
    readonly region: string;
}

/**
 * The task's one container: the function image, the kind's handler run once, the handler's
 * variables plus AWS_REGION (Lambda sets it; the handlers' clients read it), logs to the
 * runner's log group through the awslogs driver.
 */
export function runnerContainerDefinitions(input: ContainerDefinitionInput): string {
    const { entryPoint, command } = runnerCommand(input.kind);
    const environment = Object.entries({ ...input.environment, AWS_REGION: input.region })
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => ({ name, value }));
    return JSON.stringify([{
        name: RUNNER_CONTAINER,
        image: input.imageUri,
        essential: true,
        entryPoint,
        command,
        workingDirectory: IMAGE_TASK_ROOT,
        environment,
        logConfiguration: {
            logDriver: "awslogs",
            options: {
                "awslogs-group": input.logGroupName,
                "awslogs-region": input.region,
                "awslogs-stream-prefix": input.kind,
            },
        },
    }]);
}

const ACCOUNT = /^\d{12}$/;

/**
 * Trust policy of the task role and of the execution role: only ECS tasks of this account assume
 * them (aws:SourceAccount against the confused deputy; Amazon ECS Developer Guide, "Amazon ECS
 * task IAM role": https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html).
 */
export function ecsTasksAssumeRolePolicy(accountId: string): PrincipalPolicyDocument {
    if (!ACCOUNT.test(accountId)) throw new RangeError(`accountId: "${accountId}" is not allowed; expected a 12-digit AWS account id`);
    return serviceAssumeRolePolicy("EcsTasksAssumeRole", "ecs-tasks.amazonaws.com", accountId);
}

/** ECR actions of an image pull (GetAuthorizationToken is not resource-scoped). */
export const IMAGE_PULL_ACTIONS: readonly string[] = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];

/**
 * The execution role, which ECS (not the handler) uses to start the task: pull the image from its
 * one repository and write the container's output to the runner's log group. Nothing else: the
 * handler's own permissions are the task role's (Amazon ECS Developer Guide, "Amazon ECS task
 * execution IAM role": https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html;
 * Amazon ECR User Guide, "Using Amazon ECR images with Amazon ECS":
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/ECR_on_ECS.html). No KMS permission: ECR
 * decrypts a KMS-encrypted repository's layers through the grant it holds on the key (Amazon ECR
 * User Guide, "Encryption at rest": https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html).
 */
export function taskExecutionRolePolicy(input: { readonly repositoryArn: string; readonly logGroupArn: string }): PolicyDocument {
    return policyDocument([
        { Sid: "EcrAuthorization", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
        { Sid: "PullTheImage", Effect: "Allow", Action: IMAGE_PULL_ACTIONS, Resource: [input.repositoryArn] },
        { Sid: "WriteRunnerLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${input.logGroupArn}:*`] },
    ]);
}

export interface FargateSchedulerPolicyInput {
    readonly taskDefinitionArn: string;
    readonly clusterArn: string;
    readonly taskRoleArn: string;
    readonly executionRoleArn: string;
    readonly deadLetterQueueArn: string;
    readonly kmsKeyArn: string;
    readonly region: string;
    readonly dnsSuffix: string;
}

/**
 * The schedule may run this one task definition revision in this one cluster, pass its two roles
 * to ECS tasks only, and write to its dead-letter queue. Passing the task and execution roles is
 * what RunTask with them requires (Amazon ECS Developer Guide, "Amazon ECS EventBridge IAM role":
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/CWE_IAM_role.html).
 */
export function fargateSchedulerRolePolicy(input: FargateSchedulerPolicyInput): PolicyDocument {
    return policyDocument([
        {
            Sid: "RunTheTask",
            Effect: "Allow",
            Action: ["ecs:RunTask"],
            Resource: [input.taskDefinitionArn],
            Condition: { ArnEquals: { "ecs:cluster": input.clusterArn } },
        },
        {
            Sid: "PassTheTaskRoles",
            Effect: "Allow",
            Action: ["iam:PassRole"],
            Resource: [input.executionRoleArn, input.taskRoleArn].sort(),
            Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
        },
        { Sid: "SendToDeadLetterQueue", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [input.deadLetterQueueArn] },
        {
            Sid: "EncryptDeadLetterMessages",
            Effect: "Allow",
            Action: SQS_SEND_KMS_ACTIONS,
            Resource: [input.kmsKeyArn],
            Condition: { StringEquals: { "kms:ViaService": viaServiceHost("sqs", input.region, input.dnsSuffix) } },
        },
    ]);
}

/** An EventBridge event pattern, in the JSON shape EventBridge reads. */
export type EventPattern = { readonly [field: string]: EventPattern | readonly unknown[] | readonly EventPattern[] };

/** The stop code of a task whose essential container exited (by itself; its exit code says how). */
export const ESSENTIAL_CONTAINER_EXITED = "EssentialContainerExited";

/** What a stopped task says of how it ended (the ECS Task's fields, in DescribeTasks and in its events). */
export interface StoppedTask {
    readonly stopCode?: string;
    readonly containers?: readonly { readonly exitCode?: number }[];
}

/**
 * Whether a stopped runner task succeeded: its essential container exited by itself, with exit
 * code 0 (runOnce exits 0 only when the handler resolved). The task-failure rule's pattern
 * matches exactly the stopped tasks for which this is false.
 */
export function taskSucceeded(task: StoppedTask): boolean {
    const containers = task.containers ?? [];
    return task.stopCode === ESSENTIAL_CONTAINER_EXITED && containers.length > 0 && containers.every((c) => c.exitCode === 0);
}

/**
 * Matches the "ECS Task State Change" event of a runner's task that stopped without succeeding:
 * in this cluster, of this task family (ECS puts a task that RunTask starts without a group, as
 * the scheduler and `backup --stack` do, in the group `family:<family>`), `lastStatus` STOPPED,
 * and either a stop code other than EssentialContainerExited (TaskFailedToStart for an image pull
 * or network failure, UserInitiated for a stopped task, SpotInterruption, ...) or a container exit
 * code other than 0 (1 for a failed run, 137 for an out-of-memory kill). A task that never ran
 * its container has no exit code, and its stop code is not EssentialContainerExited.
 * Amazon ECS Developer Guide, "Amazon ECS task state change events" (the event's `detail` is the
 * DescribeTasks Task: clusterArn, group, lastStatus, stopCode, stoppedReason, containers[].exitCode):
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html, and "Amazon ECS
 * stopped tasks error codes": https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html;
 * the operators (anything-but, $or, a pattern on an array matching any element) from the Amazon
 * EventBridge User Guide, "Content filtering in Amazon EventBridge event patterns" and "Arrays in
 * Amazon EventBridge event patterns":
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html.
 */
export function taskFailedEventPattern(input: { readonly clusterArn: string; readonly family: string }): EventPattern {
    if (!input.clusterArn.startsWith("arn:")) {
        throw new RangeError(`clusterArn: "${input.clusterArn}" is not allowed; expected an ECS cluster ARN`);
    }
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(input.family)) {
        throw new RangeError(`family: "${input.family}" is not allowed; expected a task definition family (letters, digits, "-", "_")`);
    }
    return {
        source: ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        detail: {
            clusterArn: [input.clusterArn],
            group: [`family:${input.family}`],
            lastStatus: ["STOPPED"],
            $or: [
                { stopCode: [{ "anything-but": ESSENTIAL_CONTAINER_EXITED }] },
                { containers: { exitCode: [{ "anything-but": 0 }] } },
            ],
        },
    };
}

/** CloudWatch Logs' limit on a resource policy document: 5120 characters (PutResourcePolicy, policyDocument). */
export const LOG_RESOURCE_POLICY_MAX_CHARS = 5120;

/**
 * CloudWatch Logs resource policy letting EventBridge write the events of the task-failure rules
 * to the runners' log groups, and nothing else: EventBridge writes to a log group target through
 * the account's CloudWatch Logs resource policies, not through a role (Amazon EventBridge User
 * Guide, "Using resource-based policies for Amazon EventBridge", CloudWatch Logs permissions:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html). An
 * account has at most 10 such policies per region, a limit that cannot be raised (CloudWatch Logs
 * API Reference, PutResourcePolicy), so one policy names every runner's log group.
 */
export function taskEventsLogPolicy(input: { readonly logGroupArns: readonly string[] }): PolicyDocument {
    if (input.logGroupArns.length === 0) {
        throw new RangeError("logGroupArns: [] is not allowed; expected the log group ARN of at least one runner");
    }
    input.logGroupArns.forEach((arn, i) => {
        if (!/^arn:[^*]+$/.test(arn) || arn.endsWith(":*")) {
            throw new RangeError(`logGroupArns[${i}]: "${arn}" is not allowed; expected a log group ARN without ":*" or wildcards`);
        }
    });
    const doc = policyDocument([{
        Sid: "EventBridgeWritesTaskEvents",
        Effect: "Allow",
        Principal: { Service: ["delivery.logs.amazonaws.com", "events.amazonaws.com"] },
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: sortedUnique(input.logGroupArns).map((arn) => `${arn}:*`),
    }]);
    const chars = JSON.stringify(doc).length;
    if (chars > LOG_RESOURCE_POLICY_MAX_CHARS) {
        throw new RangeError(`logGroupArns: ${input.logGroupArns.length} log groups make a policy of ${chars} characters, above CloudWatch Logs' ${LOG_RESOURCE_POLICY_MAX_CHARS}; use shorter runner names or fewer Fargate runners in one stack`);
    }
    return doc;
}
