import * as assert from "assert";
import { childrenOf, MockState, RecordedResource, settle, setupMocks } from "../../../helpers/mocks";
import type { BackupFunctionArgs } from "../../../../components/aws/backupFunction";
import type { FargateRunnerArgs } from "../../../../components/aws/fargateRunner";
import { taskFailedEventPattern } from "../../../../components/aws/documents/fargate";

const COMPONENT = "pg-backup-stack:aws:FargateRunner";
const TASK = "aws:ecs/taskDefinition:TaskDefinition";
const CLUSTER = "aws:ecs/cluster:Cluster";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const SCHEDULE = "aws:scheduler/schedule:Schedule";
const QUEUE = "aws:sqs/queue:Queue";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const RULE = "aws:cloudwatch/eventRule:EventRule";
const TARGET = "aws:cloudwatch/eventTarget:EventTarget";
const LOG_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy";

const ACCOUNT = "123456789012";
const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/backup`;
const BUCKET = "arn:aws:s3:::pg-backups-prod";
const DB_SECRET = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:rds!db-orders-AbCdEf`;
const VERIFY_SECRET = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:verify-server-XyZ`;
const IMAGE = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/pg-backup@sha256:abc`;
const ENV = { BACKUP_BUCKET: "pg-backups-prod", DB_SECRET_ARN: DB_SECRET };
const NETWORK = { vpcId: "vpc-0abc", subnetIds: ["subnet-0a", "subnet-0b"], databaseSecurityGroupIds: ["sg-0db"] };

interface Statement {
    Sid: string;
    Effect: "Allow" | "Deny";
    Action: string[];
    Resource?: string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

function policy(resource: RecordedResource, key = "policy"): { Statement: Statement[] } {
    return JSON.parse(resource.inputs[key] as string) as { Statement: Statement[] };
}

function base(kind: FargateRunnerArgs["kind"]): FargateRunnerArgs {
    return {
        kind,
        imageUri: IMAGE,
        imageRepositoryArn: `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/pg-backup`,
        bucketArn: BUCKET,
        prefix: kind === "export" ? "exports" : "backups",
        kmsKeyArn: KEY,
        secretArns: [kind === "verify" ? VERIFY_SECRET : DB_SECRET],
        secretKmsKeyArns: [KEY],
        environment: ENV,
        network: NETWORK,
        schedule: "cron(5 * * * ? *)",
    };
}

describe("FargateRunner (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/aws/fargateRunner");

    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/aws/fargateRunner");
    });

    it("task definition: the function image running the kind's handler once, the size asked for, its two roles, awslogs to its own group", async () => {
        // given a dump runner for the orders database, sized for a big dump
        new mod.FargateRunner("prod-dump-orders", { ...base("dump"), cpu: 2048, memoryMb: 8192, ephemeralStorageGiB: 200, timeoutSeconds: 43_200 });
        await settle(mocks);
        // when the recorded task definition is read
        const task = mocks.one(TASK, "prod-dump-orders-task").inputs;
        const [container, ...others] = JSON.parse(task["containerDefinitions"] as string) as Record<string, unknown>[];
        // then it is a Fargate task in awsvpc mode with that size
        assert.deepStrictEqual(task["requiresCompatibilities"], ["FARGATE"]);
        assert.strictEqual(task["networkMode"], "awsvpc");
        assert.strictEqual(task["cpu"], "2048");
        assert.strictEqual(task["memory"], "8192");
        assert.deepStrictEqual(task["ephemeralStorage"], { sizeInGib: 200 });
        assert.deepStrictEqual(task["runtimePlatform"], { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" });
        assert.strictEqual(task["family"], "prod-dump-orders");
        // and its roles are the runner's own task and execution roles
        assert.strictEqual(task["taskRoleArn"], `arn:aws:iam::${ACCOUNT}:role/prod-dump-orders-task-role`);
        assert.strictEqual(task["executionRoleArn"], `arn:aws:iam::${ACCOUNT}:role/prod-dump-orders-exec-role`);
        // and its one container runs the same image's dump handler once, with the handler's variables
        assert.deepStrictEqual(others, []);
        assert.ok(container);
        assert.strictEqual(container["image"], IMAGE);
        assert.deepStrictEqual(container["entryPoint"], ["/var/lang/bin/node"]);
        assert.deepStrictEqual(container["command"], ["/var/task/shared/runOnce.js", "dump/handler.handler"]);
        assert.deepStrictEqual(container["environment"], [
            { name: "AWS_REGION", value: "eu-west-1" },
            { name: "BACKUP_BUCKET", value: "pg-backups-prod" },
            { name: "DB_SECRET_ARN", value: DB_SECRET },
            { name: "RUN_TIMEOUT_SECONDS", value: "43200" },
        ]);
        assert.deepStrictEqual(container["logConfiguration"], {
            logDriver: "awslogs",
            options: { "awslogs-group": "/ecs/prod-dump-orders", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "dump" },
        });
    });

    it("log group: retention and the backup key", async () => {
        // given a runner with a 400-day retention
        new mod.FargateRunner("prod-dump-orders", { ...base("dump"), logRetentionDays: 400 });
        await settle(mocks);
        // when the log group is read
        const logs = mocks.one(LOG_GROUP, "prod-dump-orders-logs").inputs;
        // then it keeps logs that long, encrypted with the backup CMK
        assert.strictEqual(logs["name"], "/ecs/prod-dump-orders");
        assert.strictEqual(logs["retentionInDays"], 400);
        assert.strictEqual(logs["kmsKeyId"], KEY);
    });

    for (const kind of ["dump", "export", "verify"] as const) {
        it(`${kind}: the task role's policy is the Lambda role's policy for the same kind, without what only Lambda does`, async () => {
            // given a runner and a Lambda function of the same kind and the same name stem
            const { BackupFunction } = await import("../../../../components/aws/backupFunction");
            new mod.FargateRunner("runner", base(kind));
            new BackupFunction("runner", { ...(base(kind) as unknown as BackupFunctionArgs) });
            await settle(mocks);
            // when both policies are read
            const task = policy(mocks.one(ROLE_POLICY, "runner-task-policy"));
            const lambda = policy(mocks.one(ROLE_POLICY, "runner-role-policy"));
            // then the task's is the Lambda function's without its log writes, network interfaces and dead letters,
            // which ECS, the execution role and the scheduler's role do for a task
            const lambdaOnly = ["WriteOwnLogGroup", "VpcNetworkInterfaces", "SendFailedInvocationsToDeadLetterQueue", "EncryptDeadLetterMessages"];
            assert.deepStrictEqual(task.Statement, lambda.Statement.filter((st) => !lambdaOnly.includes(st.Sid)));
            assert.ok(!JSON.stringify(task).includes("ec2:") && !JSON.stringify(task).includes("sqs:") && !JSON.stringify(task).includes("logs:"));
            // and only ECS tasks of this account assume the task role
            const trust = policy(mocks.one(ROLE, "runner-task-role"), "assumeRolePolicy") as unknown as { Statement: { Principal: unknown; Condition: unknown }[] };
            assert.deepStrictEqual(trust.Statement.map((s) => [s.Principal, s.Condition]), [[{ Service: ["ecs-tasks.amazonaws.com"] }, { StringEquals: { "aws:SourceAccount": ACCOUNT } }]]);
        });
    }

    it("execution role: pulls from the image's repository and writes the runner's log group, nothing else", async () => {
        // given a runner
        new mod.FargateRunner("prod-dump-orders", base("dump"));
        await settle(mocks);
        // when the execution role's policy is read
        const statements = policy(mocks.one(ROLE_POLICY, "prod-dump-orders-exec-policy")).Statement;
        // then it holds the ECR token, the pull of that one repository and the log writes
        assert.deepStrictEqual(statements.map((s) => [s.Effect, s.Action, s.Resource]), [
            ["Allow", ["ecr:GetAuthorizationToken"], ["*"]],
            ["Allow", ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], [`arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/pg-backup`]],
            ["Allow", ["logs:CreateLogStream", "logs:PutLogEvents"], [`arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:prod-dump-orders-logs:*`]],
        ]);
    });

    it("schedule: RunTask of the task definition on Fargate, private network, retries and the encrypted dead-letter queue", async () => {
        // given a runner
        new mod.FargateRunner("prod-dump-orders", { ...base("dump"), retryAttempts: 1, maxEventAgeSeconds: 1800 });
        await settle(mocks);
        // when the schedule and its queue are read
        const schedule = mocks.one(SCHEDULE, "prod-dump-orders-schedule").inputs;
        const queue = mocks.one(QUEUE, "prod-dump-orders-dlq").inputs;
        const target = schedule["target"] as Record<string, unknown>;
        // then it runs one task of that definition in the runner's cluster, on Fargate, without a public IP
        assert.strictEqual(schedule["scheduleExpression"], "cron(5 * * * ? *)");
        assert.strictEqual(target["arn"], `arn:aws:ecs:eu-west-1:${ACCOUNT}:prod-dump-orders-cluster`);
        assert.deepStrictEqual(target["ecsParameters"], {
            taskDefinitionArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:prod-dump-orders-task`,
            launchType: "FARGATE",
            platformVersion: "LATEST",
            taskCount: 1,
            networkConfiguration: { assignPublicIp: false, subnets: ["subnet-0a", "subnet-0b"], securityGroups: ["prod-dump-orders-sg-id"] },
        });
        assert.strictEqual(target["roleArn"], `arn:aws:iam::${ACCOUNT}:role/prod-dump-orders-scheduler-role`);
        // and a run it cannot start is retried, then lands in the KMS-encrypted queue
        assert.deepStrictEqual(target["retryPolicy"], { maximumRetryAttempts: 1, maximumEventAgeInSeconds: 1800 });
        assert.deepStrictEqual(target["deadLetterConfig"], { arn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:prod-dump-orders-dlq` });
        assert.strictEqual(queue["name"], "prod-dump-orders-task-dlq");
        assert.strictEqual(queue["kmsMasterKeyId"], KEY);
    });

    it("scheduler role: may only run that task in that cluster and pass those two roles to ECS tasks", async () => {
        // given a runner
        new mod.FargateRunner("prod-dump-orders", base("dump"));
        await settle(mocks);
        // when the scheduler role's policy is read
        const statements = policy(mocks.one(ROLE_POLICY, "prod-dump-orders-scheduler-policy")).Statement;
        const bySid = new Map(statements.map((s) => [s.Sid, s]));
        // then RunTask is scoped to the task definition and the cluster
        assert.deepStrictEqual(bySid.get("RunTheTask")?.Action, ["ecs:RunTask"]);
        assert.deepStrictEqual(bySid.get("RunTheTask")?.Resource, [`arn:aws:ecs:eu-west-1:${ACCOUNT}:prod-dump-orders-task`]);
        assert.deepStrictEqual(bySid.get("RunTheTask")?.Condition, { ArnEquals: { "ecs:cluster": `arn:aws:ecs:eu-west-1:${ACCOUNT}:prod-dump-orders-cluster` } });
        // and PassRole names exactly the task and execution roles, for ECS tasks
        assert.deepStrictEqual(bySid.get("PassTheTaskRoles")?.Resource, [
            `arn:aws:iam::${ACCOUNT}:role/prod-dump-orders-exec-role`,
            `arn:aws:iam::${ACCOUNT}:role/prod-dump-orders-task-role`,
        ]);
        assert.deepStrictEqual(bySid.get("PassTheTaskRoles")?.Condition, { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } });
        // and nothing else but its dead-letter queue
        const actions = statements.filter((s) => s.Effect === "Allow").flatMap((s) => s.Action).sort();
        assert.deepStrictEqual(actions, ["ecs:RunTask", "iam:PassRole", "kms:Decrypt", "kms:GenerateDataKey", "sqs:SendMessage"]);
        assert.ok(statements.every((s) => !(s.Resource ?? []).includes("*")), "no wildcard resource");
    });

    it("network: the same security group rules as the Lambda function, the database accepting the runner", async () => {
        // given a runner reaching its database's security group
        new mod.FargateRunner("prod-dump-orders", base("dump"));
        await settle(mocks);
        // when the rules are read
        const egress = mocks.ofType(EGRESS).map((r) => r.inputs);
        const ingress = mocks.one(INGRESS, "prod-dump-orders-db0-ingress-5432").inputs;
        // then PostgreSQL to the database and HTTPS leave it, and nothing enters
        assert.deepStrictEqual(egress.map((e) => e["toPort"]).sort(), [443, 5432]);
        assert.strictEqual(ingress["securityGroupId"], "sg-0db");
        assert.strictEqual(ingress["referencedSecurityGroupId"], "prod-dump-orders-sg-id");
    });

    it("a given cluster is used, and none is created", async () => {
        // given a runner told to use another runner's cluster
        const cluster = `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/shared`;
        new mod.FargateRunner("prod-verify-orders", { ...base("verify"), clusterArn: cluster });
        await settle(mocks);
        // then it creates no cluster and targets that one
        assert.deepStrictEqual(mocks.ofType(CLUSTER), []);
        assert.strictEqual((mocks.one(SCHEDULE, "prod-verify-orders-schedule").inputs["target"] as Record<string, unknown>)["arn"], cluster);
    });

    it("task failures: a rule on this cluster's tasks of this family that stopped without succeeding, its events kept in the runner's log group", async () => {
        // given a runner in a shared cluster
        const cluster = `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/shared`;
        const runner = new mod.FargateRunner("prod-dump-orders", { ...base("dump"), clusterArn: cluster });
        await settle(mocks);
        // when the rule, its target and the log policy are read
        const rule = mocks.one(RULE, "prod-dump-orders-task-failed").inputs;
        const target = mocks.one(TARGET, "prod-dump-orders-task-failed-log").inputs;
        const logPolicy = mocks.one(LOG_POLICY, "prod-dump-orders-task-events").inputs;
        // then the rule's pattern is the task-failure pattern of that cluster and family, and the alarms know its name
        assert.strictEqual(rule["name"], "prod-dump-orders-task-failed");
        assert.strictEqual(runner.taskFailedRuleName, "prod-dump-orders-task-failed");
        assert.deepStrictEqual(JSON.parse(rule["eventPattern"] as string), taskFailedEventPattern({ clusterArn: cluster, family: "prod-dump-orders" }));
        // and its events go to the runner's log group, which only EventBridge and log delivery may write to this way
        const logGroupArn = `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:prod-dump-orders-logs`;
        assert.strictEqual(target["arn"], logGroupArn);
        assert.strictEqual(target["rule"], "prod-dump-orders-task-failed");
        assert.strictEqual(target["roleArn"], undefined, "a log group target is written through the resource policy, never a role");
        assert.strictEqual(logPolicy["policyName"], "prod-dump-orders-task-events");
        assert.deepStrictEqual(JSON.parse(logPolicy["policyDocument"] as string).Statement[0].Resource, [`${logGroupArn}:*`]);
    });

    it("names nothing as a Lambda function of the same name does, so a database can move between the runners in one update", async () => {
        // given a runner and a Lambda function of the same kind and name (Pulumi creates the new
        // component before it deletes the old one, and these names are unique in the account or region)
        const { BackupFunction } = await import("../../../../components/aws/backupFunction");
        new mod.FargateRunner("prod-dump-orders", base("dump"));
        new BackupFunction("prod-dump-orders", { ...(base("dump") as unknown as BackupFunctionArgs) });
        await settle(mocks);
        // when the names each sets are collected, per kind of resource
        const NAME_KEYS = ["name", "policyName", "family"];
        const named = (component: string): string[] => [...childrenOf(mocks, component, "prod-dump-orders")].flatMap((id) => {
            const [type, name] = id.split("::");
            const inputs = mocks.resources.find((r) => r.type === type && r.name === name && r.parent?.type === component)?.inputs ?? {};
            return NAME_KEYS.filter((k) => typeof inputs[k] === "string").map((k) => `${type}::${String(inputs[k])}`);
        });
        const runner = named(COMPONENT);
        const fn = named("pg-backup-stack:aws:BackupFunction");
        // then each has named its roles, queue and log group, and none of them twice
        assert.ok(runner.filter((n) => n.startsWith(ROLE)).length === 3 && fn.filter((n) => n.startsWith(ROLE)).length === 2, JSON.stringify([runner, fn]));
        assert.deepStrictEqual(runner.filter((n) => fn.includes(n)), []);
    });

    it("uses a given task-events policy instead of one of its own, and its rule's target waits for it", async () => {
        // given a policy shared by two runners
        const shared = new mod.TaskEventsLogPolicy("task-events", { policyName: "prod-task-events", runnerNames: ["prod-dump-orders", "prod-verify-orders"] });
        new mod.FargateRunner("prod-dump-orders", { ...base("dump"), taskEventsLogPolicy: shared });
        new mod.FargateRunner("prod-verify-orders", { ...base("verify"), taskEventsLogPolicy: shared });
        await settle(mocks);
        // then the account holds one resource policy, naming both runners' log groups
        const policies = mocks.ofType(LOG_POLICY);
        assert.deepStrictEqual(policies.map((p) => p.inputs["policyName"]), ["prod-task-events"]);
        assert.deepStrictEqual(JSON.parse(policies[0]?.inputs["policyDocument"] as string).Statement[0].Resource, [
            `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/ecs/prod-dump-orders:*`,
            `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/ecs/prod-verify-orders:*`,
        ]);
        // and no runner made its own
        assert.deepStrictEqual(mocks.ofType(LOG_POLICY).filter((p) => p.name.endsWith("-task-events") && p.name !== "task-events-policy"), []);
        // and a policy for no runner is refused before anything is created
        assert.throws(() => new mod.TaskEventsLogPolicy("none", { policyName: "x", runnerNames: [] }), /runnerNames: \[\] is not allowed/);
    });

    it("parents every child to the component", async () => {
        // given a runner
        new mod.FargateRunner("prod-dump-orders", base("dump"));
        await settle(mocks);
        // then each recorded resource is one of its children
        const all = mocks.resources.filter((r) => r.type !== COMPONENT).map((r) => `${r.type}::${r.name}`);
        assert.deepStrictEqual([...childrenOf(mocks, COMPONENT, "prod-dump-orders")].sort(), [...all].sort());
    });

    describe("refuses bad arguments before creating anything", () => {
        const cases: [string, (a: FargateRunnerArgs) => FargateRunnerArgs, RegExp][] = [
            ["a CPU Fargate does not have", (a) => ({ ...a, cpu: 3000 }), /cpu: 3000 is not a Fargate CPU value; expected one of 256, 512, 1024, 2048, 4096, 8192, 16384/],
            ["memory not allowed with the CPU", (a) => ({ ...a, cpu: 256, memoryMb: 4096 }), /memoryMb: 4096 is not allowed with cpu 256; expected one of 512, 1024, 2048/],
            ["ephemeral storage below 21 GiB", (a) => ({ ...a, ephemeralStorageGiB: 20 }), /ephemeralStorageGiB: 20 is out of range 21\.\.200/],
            ["ephemeral storage above 200 GiB", (a) => ({ ...a, ephemeralStorageGiB: 201 }), /ephemeralStorageGiB: 201 is out of range 21\.\.200/],
            ["a credential in the environment", (a) => ({ ...a, environment: { DATABASE_URL: "postgres://u@h/db" } }), /environment\.DATABASE_URL: a credential/],
            ["a variable the runner sets", (a) => ({ ...a, environment: { ...ENV, RUN_TIMEOUT_SECONDS: "60" } }), /RUN_TIMEOUT_SECONDS and AWS_REGION are set by the runner/],
            ["a database unreachable", (a) => ({ ...a, network: { vpcId: "vpc-0abc", subnetIds: ["subnet-0a"] } }), /neither databaseSecurityGroupIds nor databaseCidrBlocks/],
            ["an unknown log retention", (a) => ({ ...a, logRetentionDays: 100 }), /logRetentionDays: 100 is not allowed/],
            ["a bad schedule", (a) => ({ ...a, schedule: "every hour" }), /schedule: "every hour"/],
            ["no secret", (a) => ({ ...a, secretArns: [] }), /secretArns: \[\] is not allowed/],
        ];
        for (const [what, change, message] of cases) {
            it(what, async () => {
                // given arguments with one problem
                const args = change(base("dump"));
                // when the component is constructed, then it throws naming the argument, and has created no child
                assert.throws(() => new mod.FargateRunner("bad", args), message);
                await settle(mocks);
                assert.deepStrictEqual(mocks.resources.filter((r) => r.type !== COMPONENT), []);
            });
        }
    });
});
