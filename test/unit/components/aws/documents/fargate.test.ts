import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import {
    FARGATE_SIZES,
    fargateSizeProblems,
    runnerCommand,
    LOG_RESOURCE_POLICY_MAX_CHARS,
    taskEventsLogPolicy,
    taskFailedEventPattern,
    taskSucceeded,
    type StoppedTask,
} from "../../../../../components/aws/documents/fargate";
import { matchesPattern } from "../../../../helpers/eventPattern";
import { RUNNABLE_HANDLERS, runContext, runOnce, runTimeoutSeconds } from "../../../../../lambdas/shared/runOnce";
import { resultLines } from "../../../../helpers/lambda";

describe("Fargate task sizes", () => {
    it("accepts every documented CPU and memory pair at the storage bounds", () => {
        // given every pair of the table, at 21 and 200 GiB
        for (const [cpu, memories] of Object.entries(FARGATE_SIZES)) {
            for (const memory of memories) {
                // then none has a problem
                assert.deepStrictEqual(fargateSizeProblems(Number(cpu), memory, 21), []);
                assert.deepStrictEqual(fargateSizeProblems(Number(cpu), memory, 200), []);
            }
        }
    });

    it("knows the documented edges: 0.25 vCPU up to 2 GB, 4 vCPU up to 30 GB in 1 GB steps, 16 vCPU 32..120 GB in 8 GB steps", () => {
        assert.deepStrictEqual(FARGATE_SIZES[256], [512, 1024, 2048]);
        assert.strictEqual(FARGATE_SIZES[4096]?.at(-1), 30720);
        assert.strictEqual(FARGATE_SIZES[16384]?.[0], 32768);
        assert.strictEqual(FARGATE_SIZES[16384]?.at(-1), 122880);
        assert.ok(!FARGATE_SIZES[16384]?.includes(36864));
    });

    it("names the key and the allowed values", () => {
        assert.deepStrictEqual(fargateSizeProblems(1024, 1024, 20, "functions.fargate."), [
            "functions.fargate.memoryMb: 1024 is not allowed with functions.fargate.cpu 1024; expected one of 2048, 3072, 4096, 5120, 6144, 7168, 8192",
            "functions.fargate.ephemeralStorageGiB: 20 is out of range 21..200",
        ]);
        assert.match(fargateSizeProblems(100, 512, 21)[0] ?? "", /^cpu: 100 is not a Fargate CPU value; expected one of 256, 512/);
    });
});

describe("the runner's image documents", () => {
    it("the command runs the kind's handler through runOnce, one of the handlers runOnce accepts", () => {
        for (const kind of ["dump", "export", "verify"] as const) {
            const { entryPoint, command } = runnerCommand(kind);
            assert.deepStrictEqual(entryPoint, ["/var/lang/bin/node"]);
            assert.strictEqual(command[0], "/var/task/shared/runOnce.js");
            assert.ok(RUNNABLE_HANDLERS.includes(command[1] ?? ""));
        }
    });
});

describe("runOnce", () => {
    it("calls the handler once with an empty event and a context counting down to the run's timeout, and exits 0", async () => {
        // given a handler that records its call
        const calls: { event: unknown; remaining: number }[] = [];
        const lines: string[] = [];
        const load = async (modulePath: string): Promise<Record<string, unknown>> => {
            assert.strictEqual(modulePath, "dump/handler");
            return { handler: async (event: unknown, context: { getRemainingTimeInMillis(): number }) => calls.push({ event, remaining: context.getRemainingTimeInMillis() }) };
        };
        // when it is run with a one-hour timeout
        const code = await runOnce("dump/handler.handler", { RUN_TIMEOUT_SECONDS: "3600" }, load, (l) => lines.push(l));
        // then it ran once, scheduled, with about an hour left, and succeeded
        assert.strictEqual(code, 0);
        assert.strictEqual(calls.length, 1);
        assert.deepStrictEqual(calls[0]?.event, {});
        assert.ok((calls[0]?.remaining ?? 0) > 3_590_000 && (calls[0]?.remaining ?? 0) <= 3_600_000);
    });

    it("exits 1 when the handler fails, and when the handler or the timeout is not allowed", async () => {
        const lines: string[] = [];
        const failing = async (): Promise<Record<string, unknown>> => ({ handler: async () => { throw new Error("pg_dump exited 1"); } });
        assert.strictEqual(await runOnce("verify/handler.handler", {}, failing, (l) => lines.push(l)), 1);
        assert.match(lines.at(-1) ?? "", /"error":"Error: pg_dump exited 1"/);
        assert.strictEqual(await runOnce("other/handler.handler", {}, failing, (l) => lines.push(l)), 1);
        assert.match(lines.at(-1) ?? "", /handler: \\"other\/handler.handler\\" is not allowed/);
        assert.strictEqual(await runOnce(undefined, {}, failing, (l) => lines.push(l)), 1);
        assert.strictEqual(await runOnce("dump/handler.handler", { RUN_TIMEOUT_SECONDS: "10" }, failing, (l) => lines.push(l)), 1);
        assert.match(lines.at(-1) ?? "", /RUN_TIMEOUT_SECONDS: \\"10\\" is not allowed/);
    });

    it("the timeout defaults to a day; the remaining time never goes below zero", () => {
        assert.strictEqual(runTimeoutSeconds({}), 86_400);
        assert.strictEqual(runTimeoutSeconds({ RUN_TIMEOUT_SECONDS: "60" }), 60);
        let now = 1_000;
        const context = runContext("dump/handler.handler", 60, 1_000, () => now);
        assert.strictEqual(context.getRemainingTimeInMillis(), 60_000);
        now = 1_000 + 61_000;
        assert.strictEqual(context.getRemainingTimeInMillis(), 0);
        assert.strictEqual(context.functionName, "dump");
    });

    it("as the task's command, loads the real handler next to it (the image's layout) and exits 1 when its cold start fails", function () {
        this.timeout(60_000);
        // given the real entry and the real dump handler, without the dump's variables
        const root = path.resolve(__dirname, "..", "..", "..", "..", "..");
        const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(DB_|DATABASE_|BACKUP_|RUN_TIMEOUT)/.test(k)));
        // when it is run as the container would run it
        const run = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(root, "lambdas", "shared", "runOnce.ts"), "dump/handler.handler"], { cwd: root, env, encoding: "utf8" });
        // then the handler module was found and its configuration error is reported, with a failing exit code
        assert.strictEqual(run.status, 1, run.stderr);
        assert.match(run.stdout, /"message":"run failed","handler":"dump\/handler.handler","error":"EnvError: none of DB_SECRET_ARN, DATABASE_URL, DB_KEYVAULT_SECRET_URI, DB_ENTRA_USER is set/);
        // and, before it exits, exactly one failed result line for the alerts
        assert.deepEqual(resultLines(run.stdout.split("\n")), [
            { kind: "dump", database: "", outcome: "failed", error: "none of DB_SECRET_ARN, DATABASE_URL, DB_KEYVAULT_SECRET_URI, DB_ENTRA_USER is set; set exactly one" },
        ]);
    });
});

describe("the task-failure rule's event pattern", () => {
    const ACCOUNT = "111122223333";
    const CLUSTER = `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/pg-backup-prod-dump-orders`;
    const pattern = taskFailedEventPattern({ clusterArn: CLUSTER, family: "pg-backup-prod-dump-orders" });

    /** An "ECS Task State Change" event in the shape of the ECS Developer Guide's example, for a task of the runner. */
    function taskEvent(detail: Record<string, unknown>, container: Record<string, unknown> = {}): Record<string, unknown> {
        return {
            version: "0",
            id: "3317b2af-7005-947d-b652-f55e762e571a",
            "detail-type": "ECS Task State Change",
            source: "aws.ecs",
            account: ACCOUNT,
            region: "eu-west-1",
            resources: [`arn:aws:ecs:eu-west-1:${ACCOUNT}:task/pg-backup-prod-dump-orders/c13b4cb4`],
            detail: {
                clusterArn: CLUSTER,
                containers: [{ name: "backup", lastStatus: "STOPPED", taskArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task/pg-backup-prod-dump-orders/c13b4cb4`, ...container }],
                desiredStatus: "STOPPED",
                group: "family:pg-backup-prod-dump-orders",
                launchType: "FARGATE",
                lastStatus: "STOPPED",
                taskDefinitionArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/pg-backup-prod-dump-orders:7`,
                version: 5,
                ...detail,
            },
        };
    }
    const exited = (exitCode: number, reason?: string): Record<string, unknown> =>
        taskEvent({ stopCode: "EssentialContainerExited", stoppedReason: "Essential container in task exited" }, { exitCode, ...(reason === undefined ? {} : { reason }) });

    const cases: [string, Record<string, unknown>, boolean][] = [
        ["a failed run (exit code 1)", exited(1), true],
        ["an out-of-memory kill (exit code 137)", exited(137, "OutOfMemoryError: Container killed due to memory usage"), true],
        ["an image that could not be pulled (TaskFailedToStart, no exit code)",
            taskEvent({ stopCode: "TaskFailedToStart", stoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s)" }), true],
        ["a task stopped by hand while it ran", taskEvent({ stopCode: "UserInitiated", stoppedReason: "Task stopped by user" }, { exitCode: 143 }), true],
        ["a successful run (exit code 0)", exited(0), false],
        ["the same task still running", taskEvent({ lastStatus: "RUNNING", desiredStatus: "RUNNING" }, { lastStatus: "RUNNING" }), false],
        ["a failed task of another family in the cluster", taskEvent({ stopCode: "EssentialContainerExited", group: "family:pg-backup-prod-verify-orders" }, { exitCode: 1 }), false],
        ["a failed task of the family in another cluster", taskEvent({ stopCode: "TaskFailedToStart", clusterArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/other` }), false],
    ];
    for (const [what, event, expected] of cases) {
        it(`${expected ? "matches" : "does not match"} ${what}`, () => {
            assert.strictEqual(matchesPattern(pattern, event), expected);
        });
    }

    it("matches a stopped task of the runner exactly when taskSucceeded (what `backup --stack` judges by) says it failed", () => {
        for (const [what, event] of cases) {
            const detail = event["detail"] as StoppedTask & { lastStatus: string; group: string; clusterArn: string };
            if (detail.lastStatus !== "STOPPED" || detail.group !== "family:pg-backup-prod-dump-orders" || detail.clusterArn !== CLUSTER) continue;
            assert.strictEqual(matchesPattern(pattern, event), !taskSucceeded(detail), what);
        }
    });

    it("the evaluator reads EventBridge's semantics, not whatever passes: a missing field fails anything-but, arrays match by any element", () => {
        assert.strictEqual(matchesPattern({ detail: { stopCode: [{ "anything-but": "X" }] } }, { detail: {} }), false);
        assert.strictEqual(matchesPattern({ detail: { stopCode: [{ exists: false }] } }, { detail: {} }), true);
        assert.strictEqual(matchesPattern({ c: { e: [{ "anything-but": 0 }] } }, { c: [{ e: 0 }, { e: 2 }] }), true);
        assert.strictEqual(matchesPattern({ c: { e: [{ "anything-but": 0 }] } }, { c: [{ e: 0 }] }), false);
        assert.throws(() => matchesPattern({ a: [{ wildcard: "*" }] }, { a: "x" }), /not known to this evaluator/);
    });

    it("refuses a family that is not a task family", () => {
        assert.throws(() => taskFailedEventPattern({ clusterArn: CLUSTER, family: "a b" }), /family: "a b" is not allowed/);
    });

    it("the rules' events go to the runners' own log groups only, from EventBridge, in one policy", () => {
        const logGroupArn = `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/ecs/pg-backup-prod-dump-orders`;
        const verifyArn = `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/ecs/pg-backup-prod-verify-orders`;
        assert.deepStrictEqual(taskEventsLogPolicy({ logGroupArns: [verifyArn, logGroupArn, verifyArn] }).Statement, [{
            Sid: "EventBridgeWritesTaskEvents",
            Effect: "Allow",
            Principal: { Service: ["delivery.logs.amazonaws.com", "events.amazonaws.com"] },
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: [`${logGroupArn}:*`, `${verifyArn}:*`],
        }]);
        assert.throws(() => taskEventsLogPolicy({ logGroupArns: [`${logGroupArn}:*`] }), /logGroupArns\[0\]: .* expected a log group ARN without ":\*" or wildcards/);
        assert.throws(() => taskEventsLogPolicy({ logGroupArns: [`arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/ecs/*`] }), /logGroupArns\[0\]/);
        assert.throws(() => taskEventsLogPolicy({ logGroupArns: [] }), /logGroupArns: \[\] is not allowed/);
    });

    it("refuses a policy beyond CloudWatch Logs' 5120 characters, naming the count and the size", () => {
        // given more and more runners' log groups
        const arns = (n: number): string[] => Array.from({ length: n }, (_, i) => `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/ecs/pg-backup-prod-dump-database-${String(i).padStart(3, "0")}`);
        let n = 1;
        let last = 0;
        for (; n < 200; n++) {
            try {
                last = JSON.stringify(taskEventsLogPolicy({ logGroupArns: arns(n) })).length;
            } catch (err) {
                // then the first refused is the first beyond the limit, named with its count and size
                assert.match(String(err), new RegExp(`logGroupArns: ${n} log groups make a policy of \\d+ characters, above CloudWatch Logs' 5120`));
                break;
            }
        }
        // and every policy made before was within it, and one more log group would not have fitted
        assert.ok(n > 10 && n < 200, String(n));
        assert.ok(last <= LOG_RESOURCE_POLICY_MAX_CHARS && last + 90 > LOG_RESOURCE_POLICY_MAX_CHARS, String(last));
    });
});
