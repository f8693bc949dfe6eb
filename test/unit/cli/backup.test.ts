import { Readable } from "node:stream";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ArgumentError } from "../../../cli/args";
import { main as backupMain, parseBackupArgs } from "../../../cli/backup";
import type { Task } from "@aws-sdk/client-ecs";
import type { S3Client } from "@aws-sdk/client-s3";
import { dumpKey, manifestKey } from "../../../lambdas/shared/keys";
import type { BackupManifest } from "../../../lambdas/shared/manifest";
import { runCli } from "../../helpers/cli";

const ROOT = join(__dirname, "..", "..", "..");

describe("CLI backup arguments", () => {
    it("names the stack's dump function and region from its stack file", () => {
        assert.deepEqual(parseBackupArgs(["--stack", "staging", "--database", "orders", "--reason", "before release"], {}, ROOT), {
            kind: "stack",
            functionName: "pg-backup-staging-dump-orders",
            region: "eu-west-1",
            database: "orders",
            reason: "before release",
            json: false,
        });
    });

    it("dumps here in directory format with the jobs asked for, and in the custom format by default", () => {
        const local = ["--database-url", "postgres://u@h/db", "--bucket", "b-1"];
        assert.deepEqual({ ...parseBackupArgs([...local, "--dump-format", "directory", "--dump-jobs", "3"], {}, ROOT), target: "the URL's" }, {
            kind: "local",
            target: "the URL's",
            database: "db",
            bucket: "b-1",
            prefix: "backups",
            format: "directory",
            jobs: 3,
            json: false,
        });
        assert.equal((parseBackupArgs(local, {}, ROOT) as { format: string }).format, "custom");
    });

    const refusals: [string, readonly string[], string][] = [
        ["neither mode", ["--database", "orders"], "--stack, --database-url: missing; expected exactly one"],
        ["both modes", ["--stack", "prod", "--database-url", "postgres://u@h/db"], "--stack, --database-url: given together"],
        ["an unknown stack", ["--stack", "nope", "--database", "orders"], "--stack: "],
        ["a bucket with --stack", ["--stack", "prod", "--database", "orders", "--bucket", "b-1"], "--bucket: not allowed with --stack"],
        ["--reason without --stack", ["--database-url", "postgres://u@h/db", "--bucket", "b-1", "--reason", "x"], "--reason: only with --stack"],
        ["a local run without a bucket", ["--database-url", "postgres://u@h/db"], "--bucket: missing"],
        ["an unknown dump format", ["--database-url", "postgres://u@h/db", "--bucket", "b-1", "--dump-format", "tar"], '--dump-format: "tar" is not allowed; expected custom or directory'],
        ["dump jobs for a custom-format dump", ["--database-url", "postgres://u@h/db", "--bucket", "b-1", "--dump-jobs", "2"], "--dump-jobs: only with --dump-format directory"],
        ["too many dump jobs", ["--database-url", "postgres://u@h/db", "--bucket", "b-1", "--dump-format", "directory", "--dump-jobs", "17"], '--dump-jobs: "17" is not allowed; expected an integer 1..16'],
        ["a dump format with --stack", ["--stack", "prod", "--database", "orders", "--dump-format", "directory"], "--dump-format: not allowed with --stack"],
        ["a reason a Fargate task cannot carry as a tag", ["--stack", "prod", "--database", "orders", "--reason", "release #12"], '--reason: "release #12" is not allowed for a Fargate task'],
    ];
    for (const [what, args, message] of refusals) {
        it(`refuses ${what}`, () => {
            assert.throws(() => parseBackupArgs(args, {}, ROOT), (err: unknown) => err instanceof ArgumentError && err.message.startsWith(message));
        });
    }

    it("invokes the function on demand with the reason and prints what it stored; a function error exits 1", async () => {
        // given a stand-in for Lambda Invoke that records the call
        const calls: unknown[] = [];
        const cwd = process.cwd();
        process.chdir(ROOT);
        try {
            const ok = await runCli(
                (a) =>
                    backupMain(a, async (name, region, payload) => {
                        calls.push([name, region, payload]);
                        return { key: "backups/orders/daily/k.dump", manifestKey: "backups/orders/daily/k.dump.manifest.json", tier: "daily", trigger: "on-demand", sizeBytes: 2048, sha256: "ab".repeat(32), durationMs: 1500 };
                    }),
                ["--stack", "staging", "--database", "orders", "--reason", "before release"],
            );
            const failed = await runCli(
                (a) =>
                    backupMain(a, async () => {
                        throw new Error("pg-backup-staging-dump-orders failed (Unhandled): DatabaseAuthError: password authentication failed");
                    }),
                ["--stack", "staging", "--database", "orders"],
            );
            // then the payload is an on-demand trigger with the reason, the key is printed, and the failure is named
            assert.deepEqual(calls, [["pg-backup-staging-dump-orders", "eu-west-1", { trigger: "on-demand", reason: "before release" }]]);
            assert.equal(ok.code, 0, ok.err);
            assert.match(ok.out, /backup backups\/orders\/daily\/k\.dump\n {2}manifest backups\/orders\/daily\/k\.dump\.manifest\.json\n {2}daily, 2\.0 KiB/);
            assert.equal(failed.code, 1);
            assert.match(failed.err, /backup failed: pg-backup-staging-dump-orders failed \(Unhandled\): DatabaseAuthError/);
        } finally {
            process.chdir(cwd);
        }
    });
});

describe("CLI backup of a database dumped by a Fargate task", () => {
    const CLUSTER = "arn:aws:ecs:eu-west-1:123456789012:cluster/pg-backup-prod-dump-orders";
    const TASK_DEF = "arn:aws:ecs:eu-west-1:123456789012:task-definition/pg-backup-prod-dump-orders:7";
    const TASK = "arn:aws:ecs:eu-west-1:123456789012:task/pg-backup-prod-dump-orders/abc123";
    const CREATED = new Date("2026-11-30T10:00:00.000Z");

    it("runs the task with the schedule's target and waits as long as the dump's estimate", () => {
        // given prod, whose orders database is dumped by a Fargate task planned to reach 1000 GB
        assert.deepEqual(parseBackupArgs(["--stack", "prod", "--database", "orders", "--reason", "before release 2026.11.3"], {}, ROOT), {
            kind: "fargate",
            scheduleName: "pg-backup-prod-dump-orders",
            region: "eu-west-1",
            database: "orders",
            reason: "before release 2026.11.3",
            waitSeconds: 40_300,
            json: false,
        });
    });

    /** Stand-ins for EventBridge Scheduler, ECS and S3 that record every command, and a clock that advances with each sleep. */
    function standIns(options: { readonly statuses: readonly Partial<Task>[]; readonly manifests?: readonly BackupManifest[]; readonly runFailure?: string }) {
        const commands: { readonly name: string; readonly input: Record<string, unknown> }[] = [];
        let clock = CREATED.getTime();
        let look = 0;
        const record = (command: object): { readonly name: string; readonly input: Record<string, unknown> } => {
            const entry = { name: command.constructor.name, input: (command as { input: Record<string, unknown> }).input };
            commands.push(entry);
            return entry;
        };
        const objects = new Map((options.manifests ?? []).flatMap((m) => [[m.key, "dump bytes"], [manifestKey(m.key), JSON.stringify(m)]] as const));
        const clients = {
            scheduler: async (command: object) => {
                record(command);
                return {
                    Target: {
                        Arn: CLUSTER,
                        EcsParameters: {
                            TaskDefinitionArn: TASK_DEF,
                            LaunchType: "FARGATE",
                            PlatformVersion: "LATEST",
                            NetworkConfiguration: { awsvpcConfiguration: { Subnets: ["subnet-0a", "subnet-0b"], SecurityGroups: ["sg-0runner"], AssignPublicIp: "DISABLED" } },
                        },
                    },
                };
            },
            ecs: async (command: object) => {
                const { name } = record(command);
                if (name === "DescribeTaskDefinitionCommand") {
                    return { taskDefinition: { containerDefinitions: [{ environment: [{ name: "BACKUP_BUCKET", value: "pg-backups-prod" }, { name: "BACKUP_PREFIX", value: "backups" }] }] } };
                }
                if (name === "RunTaskCommand") {
                    return options.runFailure === undefined ? { tasks: [{ taskArn: TASK }], failures: [] } : { tasks: [], failures: [{ reason: options.runFailure }] };
                }
                const status = options.statuses[Math.min(look++, options.statuses.length - 1)];
                return { tasks: [{ taskArn: TASK, createdAt: CREATED, ...status }] };
            },
            s3: {
                send: async (command: object) => {
                    const { name, input } = record(command);
                    if (name === "ListObjectsV2Command") {
                        return { Contents: [...objects.keys()].filter((k) => k.startsWith(String(input["Prefix"]))).map((Key) => ({ Key, Size: objects.get(Key)?.length ?? 0 })), IsTruncated: false };
                    }
                    const body = objects.get(String(input["Key"]));
                    if (body === undefined) {
                        throw Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey" });
                    }
                    return { Body: Readable.from([Buffer.from(body)]) };
                },
            } as unknown as S3Client,
            sleep: async (ms: number) => {
                clock += ms;
            },
            now: () => clock,
            destroy: () => undefined,
        };
        return { clients, commands };
    }

    function manifest(startedAt: string, runId: string): BackupManifest {
        return {
            formatVersion: 1, database: "orders", bucket: "pg-backups-prod", key: dumpKey("backups", "orders", "daily", new Date(startedAt), runId), tier: "daily", runId, trigger: "schedule",
            sizeBytes: 10, sha256: "ab".repeat(32), serverVersion: "16.4", serverVersionNum: 160004, pgDumpVersion: "pg_dump (PostgreSQL) 16.4",
            compression: { method: "gzip", level: 1 }, startedAt, finishedAt: startedAt, durationMs: 61_000, tables: [{ schema: "public", name: "orders", rows: 3 }],
        };
    }

    async function backup(clients: ReturnType<typeof standIns>["clients"], args: readonly string[] = []): Promise<{ code: number; out: string; err: string }> {
        const cwd = process.cwd();
        process.chdir(ROOT);
        try {
            return await runCli((a) => backupMain(a, async () => assert.fail("no Lambda function is invoked"), () => clients), ["--stack", "prod", "--database", "orders", ...args]);
        } finally {
            process.chdir(cwd);
        }
    }

    it("starts the schedule's task definition on its network, follows it to STOPPED, and prints the manifest this run wrote", async () => {
        // given a task that provisions, runs, and exits 0, and two manifests: yesterday's and this run's
        const { clients, commands } = standIns({
            statuses: [{ lastStatus: "PROVISIONING" }, { lastStatus: "RUNNING" }, { lastStatus: "RUNNING" }, { lastStatus: "STOPPED", stopCode: "EssentialContainerExited", containers: [{ exitCode: 0 }] }],
            manifests: [manifest("2026-11-29T10:00:00.000Z", "old"), manifest("2026-11-30T10:01:30.000Z", "new")],
        });
        // when backed up with a reason
        const r = await backup(clients, ["--reason", "before release 2026.11.3"]);
        // then RunTask carries the schedule's cluster, revision, launch type, platform and network, and the on-demand tags
        assert.equal(r.code, 0, r.err);
        const run = commands.find((c) => c.name === "RunTaskCommand")?.input;
        assert.deepEqual(run, {
            cluster: CLUSTER,
            taskDefinition: TASK_DEF,
            count: 1,
            launchType: "FARGATE",
            platformVersion: "LATEST",
            networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-0a", "subnet-0b"], securityGroups: ["sg-0runner"], assignPublicIp: "DISABLED" } },
            startedBy: "pg-backup-stack backup",
            tags: [{ key: "pg-backup-stack:trigger", value: "on-demand" }, { key: "pg-backup-stack:reason", value: "before release 2026.11.3" }],
        });
        assert.deepEqual(commands[0], { name: "GetScheduleCommand", input: { Name: "pg-backup-prod-dump-orders" } });
        // and it reported each status once, and printed this run's backup, not yesterday's
        assert.match(r.err, /started task .*abc123 \(pg-backup-prod-dump-orders:7\); following it for up to 11 h 12 min/);
        assert.deepEqual(r.err.split("\n").filter((l) => l.startsWith("task ")).map((l) => l.split(" after")[0]), ["task PROVISIONING", "task RUNNING", "task STOPPED"]);
        assert.match(r.out, new RegExp(`backup ${manifest("2026-11-30T10:01:30.000Z", "new").key.replace(/[.]/g, "\\.")}\n {2}manifest .*new.*\.manifest\.json\n {2}daily, 10 B, sha256 abab`));
    });

    const failures: [string, Partial<Task>, RegExp][] = [
        ["an out-of-memory kill", { lastStatus: "STOPPED", stopCode: "EssentialContainerExited", stoppedReason: "Essential container in task exited", containers: [{ exitCode: 137, reason: "OutOfMemoryError: Container killed due to memory usage" }] },
            /stopped without a backup: stopCode EssentialContainerExited, stoppedReason "Essential container in task exited", container exit code 137, container reason "OutOfMemoryError/],
        ["an image that could not be pulled", { lastStatus: "STOPPED", stopCode: "TaskFailedToStart", stoppedReason: "CannotPullContainerError: pull access denied", containers: [{}] },
            /stopCode TaskFailedToStart, stoppedReason "CannotPullContainerError: pull access denied", the container has no exit code \(it never ran\)/],
        ["a failed run", { lastStatus: "STOPPED", stopCode: "EssentialContainerExited", containers: [{ exitCode: 1 }] }, /container exit code 1; a dump without a manifest is not a backup/],
    ];
    for (const [what, stopped, message] of failures) {
        it(`prints the stop reason of ${what} and exits 1, even when an older manifest exists`, async () => {
            const { clients, commands } = standIns({ statuses: [{ lastStatus: "RUNNING" }, stopped], manifests: [manifest("2026-11-29T10:00:00.000Z", "old")] });
            const r = await backup(clients);
            assert.equal(r.code, 1);
            assert.match(r.err, message);
            assert.ok(!commands.some((c) => c.name === "ListObjectsV2Command"), "a failed task's bucket is not searched for a backup");
        });
    }

    it("exits 1 when the task exits 0 but wrote no manifest after it started", async () => {
        const { clients } = standIns({ statuses: [{ lastStatus: "STOPPED", stopCode: "EssentialContainerExited", containers: [{ exitCode: 0 }] }], manifests: [manifest("2026-11-29T10:00:00.000Z", "old")] });
        const r = await backup(clients);
        assert.equal(r.code, 1);
        assert.match(r.err, /exited 0, but s3:\/\/pg-backups-prod\/backups\/orders\/ holds no manifest of a dump started after it/);
    });

    it("names RunTask's failure when no task starts", async () => {
        const { clients } = standIns({ statuses: [], runFailure: "RESOURCE:ENI" });
        const r = await backup(clients);
        assert.equal(r.code, 1);
        assert.match(r.err, /RunTask of .*pg-backup-prod-dump-orders:7 in .* started nothing: RESOURCE:ENI/);
    });

    it("stops following after the dump's expected duration, says the task keeps running and how to follow it, and exits 1", async () => {
        // given a task that never stops (the stand-in clock advances 15 s per look)
        const { clients, commands } = standIns({ statuses: [{ lastStatus: "RUNNING" }] });
        const r = await backup(clients);
        // then it gave up after 40,300 s of looks, reporting progress every 5 minutes, not at every look
        assert.equal(r.code, 1);
        assert.match(r.err, /still RUNNING after 11 h 12 min \(the dump's expected duration\); it keeps running: follow it with `aws ecs describe-tasks --cluster .* --tasks .*abc123`/);
        const looks = commands.filter((c) => c.name === "DescribeTasksCommand").length;
        assert.equal(looks, Math.ceil(40_300 / 15) + 1);
        const progress = r.err.split("\n").filter((l) => l.startsWith("task still RUNNING")).length;
        assert.ok(progress >= 130 && progress <= 135, `${progress} progress lines`);
    });
});
