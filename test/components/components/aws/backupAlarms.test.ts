import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { childrenOf, MockState, settle, setupMocks, unwrap } from "../../../helpers/mocks";
import type { BackupAlarmsArgs } from "../../../../components/aws/backupAlarms";

const ALARMS = "pg-backup-stack:aws:BackupAlarms";
const DASHBOARD = "pg-backup-stack:aws:BackupDashboard";
const METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:pg-backup-alerts";

const args: BackupAlarmsArgs = {
    alertTopicArn: TOPIC,
    rpoMinutes: 60,
    rtoMinutes: 45,
    databases: [
        { name: "orders", instanceIdentifier: pulumi.output("orders-db"), allocatedStorageGb: 200, exported: true },
        { name: "billing", verified: false },
    ],
    functions: [
        { label: "dump-orders", functionName: "prod-dump-orders", timeoutSeconds: 600, deadLetterQueueName: pulumi.output("prod-dump-orders-dlq") },
        { label: "verify", functionName: "prod-verify", timeoutSeconds: 900, deadLetterQueueName: "prod-verify-dlq" },
    ],
    dumpTimeoutSeconds: 600,
    verifyIntervalMinutes: 1440,
};

describe("BackupAlarms (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/aws/backupAlarms");

    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/aws/backupAlarms");
    });

    it("creates the full set per database and function, verified ones with the verification alarms", async () => {
        // given one verified and exported database with an RDS instance, one unverified, a dump and a verify function
        new mod.BackupAlarms("pg-backup-prod", args);
        await settle(mocks);
        // when the recorded alarm names are listed
        const names = mocks.ofType(METRIC_ALARM).map((r) => r.inputs["name"] as string).sort();
        // then every alarm the stack promises exists, and neither verification nor export alarms for the other database
        assert.deepStrictEqual(names, [
            "pg-backup-prod-billing-backup-failed",
            "pg-backup-prod-billing-backup-missing",
            "pg-backup-prod-dump-orders-dead-letters",
            "pg-backup-prod-dump-orders-duration",
            "pg-backup-prod-dump-orders-errors",
            "pg-backup-prod-orders-backup-age",
            "pg-backup-prod-orders-backup-failed",
            "pg-backup-prod-orders-backup-missing",
            "pg-backup-prod-orders-export-failed",
            "pg-backup-prod-orders-free-storage",
            "pg-backup-prod-orders-restore-over-rto",
            "pg-backup-prod-orders-size-anomaly",
            "pg-backup-prod-orders-verification-failed",
            "pg-backup-prod-verify-dead-letters",
            "pg-backup-prod-verify-duration",
            "pg-backup-prod-verify-errors",
        ]);
    });

    it("judges freshness by the allowed backup age, and leaves the missing-backup alarm out when backups may be over 7 days apart", async () => {
        // given point-in-time recovery carrying the RPO, so that daily dumps are enough, and then weekly-plus dumps
        new mod.BackupAlarms("daily", { ...args, backupMaxAgeMinutes: 1440 });
        new mod.BackupAlarms("rare", { ...args, alarmNamePrefix: "rare", backupMaxAgeMinutes: 10080 });
        await settle(mocks);
        // when the freshness alarms are read
        const names = mocks.ofType(METRIC_ALARM).map((r) => r.inputs["name"] as string);
        // then the daily one waits a day plus the dump timeout, and the rare one has no missing-backup alarm
        assert.strictEqual(mocks.one(METRIC_ALARM, "daily-orders-backup-missing").inputs["evaluationPeriods"], 25);
        assert.strictEqual(mocks.one(METRIC_ALARM, "daily-orders-backup-age").inputs["threshold"], 86_400);
        assert.ok(!names.includes("rare-orders-backup-missing"));
        assert.ok(names.includes("rare-orders-backup-age"), "verification still judges the age");
    });

    it("every alarm notifies the alert topic on ALARM and on OK", async () => {
        // given the alarms
        new mod.BackupAlarms("pg-backup-prod", args);
        await settle(mocks);
        // when their actions are read
        const alarms = mocks.ofType(METRIC_ALARM);
        // then each has the topic as alarm and OK action
        assert.strictEqual(alarms.length, 16);
        for (const alarm of alarms) {
            assert.deepStrictEqual(alarm.inputs["alarmActions"], [TOPIC], `${alarm.name} alarm actions`);
            assert.deepStrictEqual(alarm.inputs["okActions"], [TOPIC], `${alarm.name} OK actions`);
            assert.strictEqual(alarm.inputs["actionsEnabled"], true);
        }
    });

    it("an instance with storage autoscaling gets the exhaustion forecast as metric math over its free storage", async () => {
        // given an instance that may grow from 200 to 1000 GiB
        new mod.BackupAlarms("pg-backup-prod", { ...args, databases: [{ name: "orders", instanceIdentifier: "orders-db", allocatedStorageGb: 200, maxAllocatedStorageGb: 1000 }] });
        await settle(mocks);
        // when its free-storage alarm is read
        const storage = mocks.one(METRIC_ALARM, "pg-backup-prod-orders-free-storage").inputs;
        // then the alarm watches the expression over the hourly minimum of FreeStorageSpace, not a share of the initial 200 GiB
        assert.strictEqual(storage["metricName"], undefined);
        assert.strictEqual(storage["threshold"], 24);
        assert.deepStrictEqual(storage["metricQueries"], [
            { id: "m", metric: { namespace: "AWS/RDS", metricName: "FreeStorageSpace", dimensions: { DBInstanceIdentifier: "orders-db" }, period: 3600, stat: "Minimum" }, returnData: false },
            { id: "e", expression: "IF(RATE(m) < 0, m / (-RATE(m) * 3600), 8760)", label: "pg-backup-prod-orders-free-storage", returnData: true },
        ]);
    });

    it("a Fargate runner gets its dead-letter and task-failure alarms (it has no Lambda errors or duration)", async () => {
        // given the alarms with a Fargate dump runner for a third database
        new mod.BackupAlarms("pg-backup-prod", {
            ...args,
            runners: [{ label: "dump-big", deadLetterQueueName: pulumi.output("prod-dump-big-dlq"), taskFailedRuleName: pulumi.output("prod-dump-big-task-failed"), logGroupName: "/ecs/prod-dump-big" }],
        });
        await settle(mocks);
        // when the alarms named after the runner are read
        const names = mocks.ofType(METRIC_ALARM).map((r) => r.inputs["name"] as string).filter((n) => n.includes("dump-big"));
        const failed = mocks.one(METRIC_ALARM, "pg-backup-prod-dump-big-task-failed").inputs;
        // then there are the dead-letter alarm, on the runner's queue, and the task-failure alarm, on its rule's matches
        assert.deepStrictEqual(names, ["pg-backup-prod-dump-big-dead-letters", "pg-backup-prod-dump-big-task-failed"]);
        assert.deepStrictEqual(mocks.one(METRIC_ALARM, "pg-backup-prod-dump-big-dead-letters").inputs["dimensions"], { QueueName: "prod-dump-big-dlq" });
        assert.deepStrictEqual(
            [failed["namespace"], failed["metricName"], failed["dimensions"], failed["statistic"], failed["threshold"], failed["comparisonOperator"], failed["treatMissingData"]],
            ["AWS/Events", "TriggeredRules", { RuleName: "prod-dump-big-task-failed" }, "Sum", 1, "GreaterThanOrEqualToThreshold", "notBreaching"],
        );
        assert.match(failed["alarmDescription"] as string, /log group \/ecs\/prod-dump-big/);
        assert.deepStrictEqual(failed["alarmActions"], [TOPIC]);
    });

    it("a database dumped by a Fargate task waits its own dump duration, not the Lambda timeout, before counting the backup missing", async () => {
        // given one database whose dump reports within 40,300 s and one on the Lambda default
        new mod.BackupAlarms("pg-backup-prod", { ...args, databases: [{ name: "orders", dumpSeconds: 40_300 }, { name: "billing" }] });
        await settle(mocks);
        // when the missing-backup alarms are read
        const window = (db: string): number => {
            const alarm = mocks.one(METRIC_ALARM, `pg-backup-prod-${db}-backup-missing`).inputs;
            return (alarm["period"] as number) * (alarm["evaluationPeriods"] as number);
        };
        // then each window is the allowed age (60 min) plus that database's own dump time, in whole minutes
        assert.strictEqual(window("orders"), 43_920);
        assert.strictEqual(window("billing"), 60 * 60 + 600);
    });

    it("derives thresholds from the objectives and the resolved names", async () => {
        // given the alarms
        new mod.BackupAlarms("pg-backup-prod", args);
        await settle(mocks);
        // when individual alarms are read
        const alarm = (name: string): Record<string, unknown> => mocks.one(METRIC_ALARM, name).inputs;
        const missing = alarm("pg-backup-prod-orders-backup-missing");
        const storage = alarm("pg-backup-prod-orders-free-storage");
        const dlq = alarm("pg-backup-prod-dump-orders-dead-letters");
        const duration = alarm("pg-backup-prod-dump-orders-duration");
        // then freshness treats silence as a missing backup, and the other thresholds follow the inputs
        assert.strictEqual(missing["treatMissingData"], "breaching");
        assert.strictEqual(missing["period"], 60 * 60 + 600);
        assert.strictEqual(missing["metricName"], "BackupSucceeded");
        assert.deepStrictEqual(missing["dimensions"], { Database: "orders" });
        assert.strictEqual(alarm("pg-backup-prod-orders-restore-over-rto")["threshold"], 2700);
        assert.strictEqual(alarm("pg-backup-prod-orders-backup-age")["threshold"], 3600);
        assert.deepStrictEqual(storage["dimensions"], { DBInstanceIdentifier: "orders-db" });
        assert.strictEqual(storage["threshold"], Math.floor(200 * 1024 ** 3 * 0.2));
        assert.deepStrictEqual(dlq["dimensions"], { QueueName: "prod-dump-orders-dlq" });
        assert.strictEqual(duration["threshold"], 480_000);
        assert.strictEqual(duration["extendedStatistic"], "p99");
        assert.strictEqual(duration["statistic"], undefined);
    });

    it("parents every alarm to the component and exposes their ARNs", async () => {
        // given the alarms
        const alarms = new mod.BackupAlarms("pg-backup-prod", args);
        await settle(mocks);
        // when the children and the output are read
        const children = childrenOf(mocks, ALARMS, "pg-backup-prod");
        const arns = await unwrap(alarms.alarmArns);
        // then all 16 are children, and the output lists them
        assert.strictEqual(children.length, 16);
        assert.strictEqual(children.length, mocks.ofType(METRIC_ALARM).length);
        assert.strictEqual(arns.length, 16);
        assert.ok(arns.every((arn) => arn.startsWith("arn:aws:cloudwatch:")));
    });

    describe("refuses bad arguments", () => {
        const cases: [string, Partial<BackupAlarmsArgs>, RegExp][] = [
            ["an RPO out of range", { rpoMinutes: 0 }, /rpoMinutes: 0 is out of range 1\.\.44640/],
            ["two functions with one label", { functions: [args.functions[0]!, { ...args.functions[1]!, label: "dump-orders" }] }, /functions\[1\]\.label: "dump-orders" is used twice/],
            ["an instance without its storage size", { databases: [{ name: "orders", instanceIdentifier: "orders-db" }] }, /databases\[0\]: instanceIdentifier and allocatedStorageGb go together/],
            ["nothing to watch", { databases: [], functions: [] }, /both are empty/],
            ["a runner with a function's label", { runners: [{ label: "verify", deadLetterQueueName: "q", taskFailedRuleName: "r", logGroupName: "/ecs/v" }] }, /runners\[0\]\.label: "verify" is used twice/],
            ["a dump duration beyond 14 days", { databases: [{ name: "orders", dumpSeconds: 1_209_601 }] }, /databases\[0\]\.dumpSeconds: 1209601 is out of range 1\.\.1209600/],
            ["a database listed twice", { databases: [{ name: "orders" }, { name: "orders" }] }, /databases\[1\]\.name: "orders" is listed twice/],
        ];
        for (const [what, change, message] of cases) {
            it(what, async () => {
                // given arguments with one problem; when constructed; then it throws naming it and creates nothing
                assert.throws(() => new mod.BackupAlarms("bad", { ...args, ...change }), message);
                await settle(mocks);
                assert.strictEqual(mocks.ofType(METRIC_ALARM).length, 0);
            });
        }
    });
});

describe("BackupDashboard (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/aws/backupDashboard");

    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/aws/backupDashboard");
    });

    it("builds its body from the resolved names, the region and the alarms, as a child of the component", async () => {
        // given databases, functions and alarm ARNs that are outputs of other resources
        new mod.BackupDashboard("pg-backup-prod", {
            rpoMinutes: 60,
            rtoMinutes: 45,
            databases: [{ name: "orders", instanceIdentifier: pulumi.output("orders-db"), allocatedStorageGb: 200 }],
            functions: [{ label: "verify", functionName: pulumi.output("prod-verify"), timeoutSeconds: 900, deadLetterQueueName: "prod-verify-dlq" }],
            runners: [{ label: "dump-orders", taskFailedRuleName: pulumi.output("prod-dump-orders-task-failed"), deadLetterQueueName: "prod-dump-orders-dlq", dump: { database: "orders", expectedSeconds: 40_300 } }],
            alarmArns: pulumi.output(["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x"]),
        });
        await settle(mocks);
        // when the dashboard is read
        const dashboard = mocks.one("aws:cloudwatch/dashboard:Dashboard", "pg-backup-prod-dashboard");
        const body = JSON.parse(dashboard.inputs["dashboardBody"] as string) as { widgets: { type: string; properties: Record<string, unknown> }[] };
        const metrics = body.widgets.flatMap((w) => (w.properties["metrics"] as unknown[][] | undefined) ?? []);
        // then it names the region, the resolved function and instance, and lists the alarm
        assert.strictEqual(dashboard.inputs["dashboardName"], "pg-backup-prod");
        assert.deepStrictEqual(dashboard.parent, { type: DASHBOARD, name: "pg-backup-prod" });
        assert.ok(body.widgets.filter((w) => w.type === "metric").every((w) => w.properties["region"] === "eu-west-1"));
        assert.ok(metrics.some((m) => m[1] === "Duration" && m[3] === "prod-verify"));
        assert.ok(metrics.some((m) => m[1] === "FreeStorageSpace" && m[3] === "orders-db"));
        assert.ok(metrics.some((m) => m[1] === "TriggeredRules" && m[3] === "prod-dump-orders-task-failed"), "the runner's resolved rule");
        assert.deepStrictEqual(body.widgets[0]?.properties["alarms"], ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x"]);
    });

    it("refuses a runner's expected dump duration out of range, naming it", () => {
        assert.throws(() => new mod.BackupDashboard("bad", {
            rpoMinutes: 60, rtoMinutes: 60, databases: [{ name: "orders" }], functions: [],
            runners: [{ label: "dump-orders", taskFailedRuleName: "r", deadLetterQueueName: "q", dump: { database: "orders", expectedSeconds: 0 } }],
        }), /runners\[0\]\.dump\.expectedSeconds: 0 is out of range 1\.\.1209600/);
    });

    it("refuses a dashboard with nothing on it", () => {
        // given no databases and no functions; when constructed; then it throws naming both
        assert.throws(() => new mod.BackupDashboard("empty", { rpoMinutes: 60, rtoMinutes: 60, databases: [], functions: [] }), /databases and functions: both are empty/);
    });
});
