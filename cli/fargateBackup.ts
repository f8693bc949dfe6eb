import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, RunTaskCommand } from "@aws-sdk/client-ecs";
import type { DescribeTaskDefinitionCommandOutput, DescribeTasksCommandOutput, RunTaskCommandOutput, Task } from "@aws-sdk/client-ecs";
import { GetScheduleCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import type { GetScheduleCommandOutput } from "@aws-sdk/client-scheduler";
import type { S3Client } from "@aws-sdk/client-s3";
import { taskSucceeded } from "../components/aws/documents/fargate";
import { formatMinutes } from "../config/schedule";
import { s3Storage } from "../lambdas/shared/storage/s3";
import { listBackups, type BackupEntry } from "../lambdas/shared/catalog";
import { cliS3Client } from "./clients";

/**
 * An on-demand backup of a database dumped by a Fargate task: the task its schedule runs, started
 * now with the schedule's own target (EventBridge Scheduler GetSchedule: the cluster, the task
 * definition revision, launch type, platform version and awsvpc network), followed until it stops,
 * then judged the way the task-failure alarm judges it, and its manifest read from the bucket.
 */

/** Sends one AWS SDK command (a client's `send`); stand-ins in tests. */
export type Send = (command: object) => Promise<unknown>;

export interface FargateBackupClients {
    readonly scheduler: Send;
    readonly ecs: Send;
    readonly s3: S3Client;
    readonly sleep: (ms: number) => Promise<void>;
    readonly now: () => number;
}

export interface FargateBackupRequest {
    /** The runner's name: its schedule's and its task family's. */
    readonly scheduleName: string;
    readonly database: string;
    readonly reason?: string;
    /** Seconds to follow the task before giving up on it (it keeps running). */
    readonly waitSeconds: number;
    /** Milliseconds between two looks at the task. */
    readonly pollMs?: number;
}

export interface FargateBackupResult {
    readonly taskArn: string;
    readonly backup: BackupEntry;
}

/** What started the task, in its `startedBy` (at most 36 characters). */
export const STARTED_BY = "pg-backup-stack backup";
/** Milliseconds between two looks at the task unless told otherwise. */
export const POLL_MS = 15_000;
/** A line saying the task still runs, at most this often (milliseconds). */
const PROGRESS_EVERY_MS = 300_000;

export class FargateBackupError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "FargateBackupError";
    }
}

/** ECS tag values: up to 256 letters, digits, spaces and `_ . : / = + - @` (Amazon ECS Developer Guide, "Tagging your Amazon ECS resources"). */
export const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

/** Runs the backup and returns the task and the manifest it wrote; throws FargateBackupError when there is none. */
export async function runFargateBackup(request: FargateBackupRequest, clients: FargateBackupClients, progress: (line: string) => void): Promise<FargateBackupResult> {
    const schedule = (await clients.scheduler(new GetScheduleCommand({ Name: request.scheduleName }))) as GetScheduleCommandOutput;
    const cluster = schedule.Target?.Arn;
    const parameters = schedule.Target?.EcsParameters;
    const network = parameters?.NetworkConfiguration?.awsvpcConfiguration;
    if (cluster === undefined || parameters?.TaskDefinitionArn === undefined || network === undefined) {
        throw new FargateBackupError(`schedule ${request.scheduleName} has no ECS task target with an awsvpc network; is the stack deployed with this database on runner: fargate?`);
    }
    const definition = (await clients.ecs(new DescribeTaskDefinitionCommand({ taskDefinition: parameters.TaskDefinitionArn }))) as DescribeTaskDefinitionCommandOutput;
    const environment = new Map((definition.taskDefinition?.containerDefinitions?.[0]?.environment ?? []).map((v) => [v.name ?? "", v.value ?? ""]));
    const bucket = environment.get("BACKUP_BUCKET");
    const prefix = environment.get("BACKUP_PREFIX");
    if (bucket === undefined || prefix === undefined) {
        throw new FargateBackupError(`task definition ${parameters.TaskDefinitionArn} sets no BACKUP_BUCKET and BACKUP_PREFIX; it is not a dump task`);
    }

    const run = (await clients.ecs(new RunTaskCommand({
        cluster,
        taskDefinition: parameters.TaskDefinitionArn,
        count: 1,
        launchType: parameters.LaunchType ?? "FARGATE",
        ...(parameters.PlatformVersion === undefined ? {} : { platformVersion: parameters.PlatformVersion }),
        networkConfiguration: {
            awsvpcConfiguration: {
                subnets: [...(network.Subnets ?? [])],
                ...(network.SecurityGroups === undefined ? {} : { securityGroups: [...network.SecurityGroups] }),
                assignPublicIp: network.AssignPublicIp ?? "DISABLED",
            },
        },
        startedBy: STARTED_BY,
        tags: [
            { key: "pg-backup-stack:trigger", value: "on-demand" },
            ...(request.reason === undefined ? [] : [{ key: "pg-backup-stack:reason", value: request.reason }]),
        ],
    }))) as RunTaskCommandOutput;
    const taskArn = run.tasks?.[0]?.taskArn;
    if (taskArn === undefined) {
        const failure = run.failures?.[0];
        throw new FargateBackupError(`RunTask of ${parameters.TaskDefinitionArn} in ${cluster} started nothing: ${failure?.reason ?? "no reason given"}${failure?.detail === undefined ? "" : ` (${failure.detail})`}`);
    }
    progress(`started task ${taskArn} (${parameters.TaskDefinitionArn.split("/").pop() ?? ""}); following it for up to ${formatSeconds(request.waitSeconds)}`);

    const task = await followTask(clients, cluster, taskArn, request, progress);
    if (!taskSucceeded(task)) {
        throw new FargateBackupError(`task ${taskArn} stopped without a backup: ${describeStop(task)}; a dump without a manifest is not a backup (its log stream is in the runner's log group)`);
    }
    const since = task.createdAt?.getTime() ?? 0;
    const catalog = await listBackups(s3Storage({ client: clients.s3, bucket, kmsKeyId: undefined }), { prefix, database: request.database });
    const backup = catalog.backups.find((b) => Date.parse(b.manifest.startedAt) >= since);
    if (backup === undefined) {
        throw new FargateBackupError(`task ${taskArn} exited 0, but s3://${bucket}/${prefix}/${request.database}/ holds no manifest of a dump started after it; run \`pg-backup-stack list\` and read the task's log stream`);
    }
    return { taskArn, backup };
}

/** Looks at the task until it stops, reporting each status it passes and, now and then, that it still runs. */
async function followTask(clients: FargateBackupClients, cluster: string, taskArn: string, request: FargateBackupRequest, progress: (line: string) => void): Promise<Task> {
    const started = clients.now();
    const deadline = started + request.waitSeconds * 1000;
    let status: string | undefined;
    let lastProgress = started;
    for (;;) {
        const out = (await clients.ecs(new DescribeTasksCommand({ cluster, tasks: [taskArn] }))) as DescribeTasksCommandOutput;
        const task = out.tasks?.[0];
        if (task === undefined) {
            throw new FargateBackupError(`task ${taskArn} is not found in ${cluster}: ${out.failures?.[0]?.reason ?? "no reason given"}`);
        }
        const now = clients.now();
        if (task.lastStatus !== status) {
            status = task.lastStatus;
            lastProgress = now;
            progress(`task ${status ?? "(no status)"} after ${formatSeconds((now - started) / 1000)}`);
        } else if (now - lastProgress >= PROGRESS_EVERY_MS) {
            lastProgress = now;
            progress(`task still ${status ?? "(no status)"} after ${formatSeconds((now - started) / 1000)}`);
        }
        if (task.lastStatus === "STOPPED") return task;
        if (now >= deadline) {
            throw new FargateBackupError(`task ${taskArn} is still ${status ?? "starting"} after ${formatSeconds(request.waitSeconds)} (the dump's expected duration); it keeps running: follow it with \`aws ecs describe-tasks --cluster ${cluster} --tasks ${taskArn}\`, and count it as a backup only once \`pg-backup-stack list\` shows its manifest`);
        }
        await clients.sleep(request.pollMs ?? POLL_MS);
    }
}

function describeStop(task: Task): string {
    const container = task.containers?.[0];
    return [
        `stopCode ${task.stopCode ?? "(none)"}`,
        `stoppedReason "${task.stoppedReason ?? ""}"`,
        container?.exitCode === undefined ? "the container has no exit code (it never ran)" : `container exit code ${container.exitCode}`,
        ...(container?.reason === undefined ? [] : [`container reason "${container.reason}"`]),
    ].join(", ");
}

function formatSeconds(seconds: number): string {
    return seconds < 60 ? `${Math.round(seconds)} s` : formatMinutes(seconds / 60);
}

/** The real clients of one region. */
export function awsFargateBackupClients(region: string): FargateBackupClients & { readonly destroy: () => void } {
    const scheduler = new SchedulerClient({ region });
    const ecs = new ECSClient({ region });
    const s3 = cliS3Client(undefined, region);
    return {
        scheduler: (command) => scheduler.send(command as GetScheduleCommand),
        ecs: (command) => ecs.send(command as RunTaskCommand),
        s3,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        now: Date.now,
        destroy: () => {
            scheduler.destroy();
            ecs.destroy();
            s3.destroy();
        },
    };
}
