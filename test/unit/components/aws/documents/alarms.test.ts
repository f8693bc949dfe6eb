import * as assert from "assert";
import fc from "fast-check";
import {
    AlarmDefinition,
    MAX_ALARM_WINDOW_SECONDS,
    alarmWindow,
    backupAgeAlarm,
    backupFailedAlarm,
    backupMissingAlarm,
    deadLetterQueueAlarm,
    durationNearTimeoutAlarm,
    exportFailedAlarm,
    freeStorageAlarm,
    functionErrorsAlarm,
    restoreTimeAlarm,
    sizeAnomalyAlarm,
    verificationFailedAlarm,
} from "../../../../../components/aws/documents/alarms";
import { dashboardBody } from "../../../../../components/aws/documents/dashboard";

const db = { prefix: "pg-backup-prod", namespace: "PgBackupStack", database: "orders" };

type Shape = Pick<AlarmDefinition, "name" | "namespace" | "metricName" | "dimensions" | "threshold" | "comparisonOperator" | "period" | "evaluationPeriods" | "treatMissingData"> & {
    readonly stat: string | undefined;
};

function shape(a: AlarmDefinition): Shape {
    return {
        name: a.name,
        namespace: a.namespace,
        metricName: a.metricName,
        dimensions: a.dimensions,
        stat: a.statistic ?? a.extendedStatistic,
        threshold: a.threshold,
        comparisonOperator: a.comparisonOperator,
        period: a.period,
        evaluationPeriods: a.evaluationPeriods,
        treatMissingData: a.treatMissingData,
    };
}

describe("alarm definitions", () => {
    const table: [string, AlarmDefinition, Shape][] = [
        [
            "missing backup: no BackupSucceeded within RPO + dump timeout, missing data breaches",
            backupMissingAlarm({ ...db, maxAgeMinutes: 60, dumpTimeoutSeconds: 900 }),
            {
                name: "pg-backup-prod-orders-backup-missing", namespace: "PgBackupStack", metricName: "BackupSucceeded", dimensions: { Database: "orders" },
                stat: "Sum", threshold: 1, comparisonOperator: "LessThanThreshold", period: 4500, evaluationPeriods: 1, treatMissingData: "breaching",
            },
        ],
        [
            "missing backup with a two-day RPO: hourly periods, all must breach",
            backupMissingAlarm({ ...db, maxAgeMinutes: 2880, dumpTimeoutSeconds: 900 }),
            {
                name: "pg-backup-prod-orders-backup-missing", namespace: "PgBackupStack", metricName: "BackupSucceeded", dimensions: { Database: "orders" },
                stat: "Sum", threshold: 1, comparisonOperator: "LessThanThreshold", period: 3600, evaluationPeriods: 49, treatMissingData: "breaching",
            },
        ],
        [
            "backup age from verification above the RPO, over one verify interval",
            backupAgeAlarm({ ...db, maxAgeMinutes: 60, verifyIntervalMinutes: 1440, verifyTimeoutSeconds: 900 }),
            {
                name: "pg-backup-prod-orders-backup-age", namespace: "PgBackupStack", metricName: "BackupAgeSeconds", dimensions: { Database: "orders" },
                stat: "Maximum", threshold: 3600, comparisonOperator: "GreaterThanThreshold", period: 3600, evaluationPeriods: 25, treatMissingData: "breaching",
            },
        ],
        [
            "backup age with monthly verification: judged at each run, state kept in between",
            backupAgeAlarm({ ...db, maxAgeMinutes: 1440, verifyIntervalMinutes: 44640, verifyTimeoutSeconds: 900 }),
            {
                name: "pg-backup-prod-orders-backup-age", namespace: "PgBackupStack", metricName: "BackupAgeSeconds", dimensions: { Database: "orders" },
                stat: "Maximum", threshold: 86400, comparisonOperator: "GreaterThanThreshold", period: 86400, evaluationPeriods: 1, treatMissingData: "ignore",
            },
        ],
        [
            "dump failed",
            backupFailedAlarm(db),
            {
                name: "pg-backup-prod-orders-backup-failed", namespace: "PgBackupStack", metricName: "BackupFailed", dimensions: { Database: "orders" },
                stat: "Sum", threshold: 1, comparisonOperator: "GreaterThanOrEqualToThreshold", period: 3600, evaluationPeriods: 1, treatMissingData: "notBreaching",
            },
        ],
        [
            "table export failed",
            exportFailedAlarm(db),
            {
                name: "pg-backup-prod-orders-export-failed", namespace: "PgBackupStack", metricName: "ExportFailed", dimensions: { Database: "orders" },
                stat: "Sum", threshold: 1, comparisonOperator: "GreaterThanOrEqualToThreshold", period: 3600, evaluationPeriods: 1, treatMissingData: "notBreaching",
            },
        ],
        [
            "verification failed",
            verificationFailedAlarm(db),
            {
                name: "pg-backup-prod-orders-verification-failed", namespace: "PgBackupStack", metricName: "VerificationFailed", dimensions: { Database: "orders" },
                stat: "Maximum", threshold: 1, comparisonOperator: "GreaterThanOrEqualToThreshold", period: 3600, evaluationPeriods: 1, treatMissingData: "notBreaching",
            },
        ],
        [
            "size anomaly: verify's size check failed",
            sizeAnomalyAlarm({ ...db, minRatio: 0.5, maxRatio: 3 }),
            {
                name: "pg-backup-prod-orders-size-anomaly", namespace: "PgBackupStack", metricName: "VerificationCheckFailed", dimensions: { Database: "orders", Check: "size" },
                stat: "Maximum", threshold: 1, comparisonOperator: "GreaterThanOrEqualToThreshold", period: 3600, evaluationPeriods: 1, treatMissingData: "notBreaching",
            },
        ],
        [
            "restore time above the RTO",
            restoreTimeAlarm({ ...db, rtoMinutes: 45 }),
            {
                name: "pg-backup-prod-orders-restore-over-rto", namespace: "PgBackupStack", metricName: "RestoreSeconds", dimensions: { Database: "orders" },
                stat: "Maximum", threshold: 2700, comparisonOperator: "GreaterThanThreshold", period: 3600, evaluationPeriods: 1, treatMissingData: "notBreaching",
            },
        ],
        [
            "RDS free storage below 20 % of 200 GiB",
            freeStorageAlarm({ prefix: "pg-backup-prod", database: "orders", instanceIdentifier: "orders-db", allocatedStorageGb: 200 }),
            {
                name: "pg-backup-prod-orders-free-storage", namespace: "AWS/RDS", metricName: "FreeStorageSpace", dimensions: { DBInstanceIdentifier: "orders-db" },
                stat: "Minimum", threshold: 42949672960, comparisonOperator: "LessThanThreshold", period: 300, evaluationPeriods: 3, treatMissingData: "notBreaching",
            },
        ],
        [
            "function errors",
            functionErrorsAlarm({ prefix: "pg-backup-prod", label: "dump-orders", functionName: "prod-dump-orders" }),
            {
                name: "pg-backup-prod-dump-orders-errors", namespace: "AWS/Lambda", metricName: "Errors", dimensions: { FunctionName: "prod-dump-orders" },
                stat: "Sum", threshold: 1, comparisonOperator: "GreaterThanOrEqualToThreshold", period: 3600, evaluationPeriods: 1, treatMissingData: "notBreaching",
            },
        ],
        [
            "p99 duration above 80 % of a 600 s timeout",
            durationNearTimeoutAlarm({ prefix: "pg-backup-prod", label: "verify", functionName: "prod-verify", timeoutSeconds: 600 }),
            {
                name: "pg-backup-prod-verify-duration", namespace: "AWS/Lambda", metricName: "Duration", dimensions: { FunctionName: "prod-verify" },
                stat: "p99", threshold: 480000, comparisonOperator: "GreaterThanThreshold", period: 3600, evaluationPeriods: 1, treatMissingData: "notBreaching",
            },
        ],
        [
            "dead-letter queue not empty",
            deadLetterQueueAlarm({ prefix: "pg-backup-prod", label: "verify", queueName: "prod-verify-dlq" }),
            {
                name: "pg-backup-prod-verify-dead-letters", namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: "prod-verify-dlq" },
                stat: "Maximum", threshold: 0, comparisonOperator: "GreaterThanThreshold", period: 300, evaluationPeriods: 1, treatMissingData: "notBreaching",
            },
        ],
    ];
    for (const [what, built, expected] of table) {
        it(what, () => {
            // given the builder's inputs; when the alarm is built; then it watches the right metric the right way
            assert.deepStrictEqual(shape(built), expected);
            assert.ok(built.description.length > 20, "the notification says what happened and what to do");
            assert.ok((built.statistic === undefined) !== (built.extendedStatistic === undefined), "exactly one statistic");
        });
    }

    it("refuses inputs that would make an alarm meaningless", () => {
        // given bad inputs; when built; then each throws naming the input
        assert.throws(() => backupMissingAlarm({ ...db, maxAgeMinutes: 0, dumpTimeoutSeconds: 900 }), /maxAgeMinutes: 0 is not allowed/);
        assert.throws(() => backupMissingAlarm({ ...db, maxAgeMinutes: 10080, dumpTimeoutSeconds: 900 }), /window: 605700 seconds is out of range/);
        assert.throws(() => restoreTimeAlarm({ ...db, database: " ", rtoMinutes: 60 }), /database: "" is not allowed/);
        assert.throws(() => freeStorageAlarm({ prefix: "p", database: "orders", instanceIdentifier: "db", allocatedStorageGb: 100, freeRatio: 1.5 }), /freeRatio: 1\.5 is out of range/);
        assert.throws(() => durationNearTimeoutAlarm({ prefix: "p", label: "dump", functionName: "f", timeoutSeconds: -1 }), /timeoutSeconds: -1 is not allowed/);
    });

    it("property: a window covers the requested time, within CloudWatch's limits, overshooting by less than one period", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: MAX_ALARM_WINDOW_SECONDS }), (seconds) => {
                // given any window up to seven days; when its periods are chosen
                const w = alarmWindow(seconds);
                const total = w.period * w.evaluationPeriods;
                // then they are valid CloudWatch settings that cover exactly that window, rounded up
                assert.ok(w.period % 60 === 0 && w.period >= 60 && w.period <= 86_400, `period ${w.period}`);
                assert.ok(total >= seconds && total - seconds < w.period, `${total} for ${seconds}`);
                assert.ok(total <= MAX_ALARM_WINDOW_SECONDS);
                assert.ok(w.period >= 3600 || total <= 86_400, "under an hour per period, at most one day in all");
                assert.strictEqual(w.datapointsToAlarm, w.evaluationPeriods, "every period must breach");
            }),
        );
    });
});

describe("dashboard body", () => {
    const input = {
        region: "eu-west-1",
        namespace: "PgBackupStack",
        rpoMinutes: 60,
        rtoMinutes: 45,
        databases: [{ name: "orders", instanceIdentifier: "orders-db", allocatedStorageGb: 100, exported: true }, { name: "billing" }],
        functions: [{ label: "verify", functionName: "prod-verify", timeoutSeconds: 900, deadLetterQueueName: "prod-verify-dlq" }],
        alarmArns: ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:b", "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a"],
    };

    interface Widget { type: string; x: number; y: number; width: number; height: number; properties: Record<string, unknown> }
    const widgets = (body: string): Widget[] => (JSON.parse(body) as { widgets: Widget[] }).widgets;

    it("graphs every function metric per database, with the RPO and RTO lines", () => {
        // given two databases and the verify function; when the body is built
        const body = widgets(dashboardBody(input));
        const metricsOf = (w: Widget): unknown[][] => (w.properties["metrics"] as unknown[][] | undefined) ?? [];
        const all = body.flatMap(metricsOf);
        const named = (metric: string, dimValue: string): boolean => all.some((m) => m[1] === metric && m[3] === dimValue);
        // then each metric of each database appears, and the objectives are drawn
        for (const database of ["orders", "billing"]) {
            for (const metric of ["BackupSucceeded", "BackupFailed", "VerificationSucceeded", "VerificationFailed", "BackupAgeSeconds", "RestoreSeconds", "BackupSizeBytes", "BackupDurationSeconds"]) {
                assert.ok(named(metric, database), `${metric} for ${database}`);
            }
        }
        assert.ok(named("FreeStorageSpace", "orders-db"));
        assert.ok(named("ExportFailed", "orders") && !named("ExportFailed", "billing"), "exports graphed where there are exports");
        assert.ok(!all.some((m) => m[1] === "FreeStorageSpace" && m[3] !== "orders-db"), "no storage graph without an instance");
        assert.ok(named("Errors", "prod-verify") && named("Duration", "prod-verify") && named("ApproximateNumberOfMessagesVisible", "prod-verify-dlq"));
        const age = body.find((w) => w.properties["title"] === "orders: newest backup age (s) vs RPO");
        assert.deepStrictEqual(age?.properties["annotations"], { horizontal: [{ label: "RPO", value: 3600 }] });
        const restore = body.find((w) => w.properties["title"] === "billing: restore time (s) vs RTO");
        assert.deepStrictEqual(restore?.properties["annotations"], { horizontal: [{ label: "RTO", value: 2700 }] });
    });

    it("shows the alarms first, sorted, and lays widgets out without overlap inside the 24-unit grid", () => {
        // given the input; when the body is built
        const body = widgets(dashboardBody(input));
        // then the alarm widget is on top and no two widgets share a cell
        assert.strictEqual(body[0]?.type, "alarm");
        assert.deepStrictEqual(body[0]?.properties["alarms"], [...input.alarmArns].sort());
        const cells = new Set<string>();
        for (const w of body) {
            assert.ok(w.x >= 0 && w.x + w.width <= 24, `${String(w.properties["title"])} fits the grid`);
            for (let x = w.x; x < w.x + w.width; x++) {
                for (let y = w.y; y < w.y + w.height; y++) {
                    assert.ok(!cells.has(`${x},${y}`), `overlap at ${x},${y}`);
                    cells.add(`${x},${y}`);
                }
            }
        }
    });

    it("gives each Fargate runner a row: failed tasks and dead letters, and a dump runner its database's dump duration against the expected one", () => {
        // given a dump and a verify runner of prod's orders database
        const runners = [
            { label: "dump-orders", taskFailedRuleName: "prod-dump-orders-task-failed", deadLetterQueueName: "prod-dump-orders-dlq", dump: { database: "orders", expectedSeconds: 40_300 } },
            { label: "verify-orders", taskFailedRuleName: "prod-verify-orders-task-failed", deadLetterQueueName: "prod-verify-orders-dlq" },
        ];
        const body = widgets(dashboardBody({ ...input, runners }));
        const titled = (title: string): Widget | undefined => body.find((w) => w.properties["title"] === title);
        // then each runner's failures graph counts its rule's matches and its queue's messages
        for (const runner of runners) {
            const failures = titled(`${runner.label}: Fargate tasks failed, runs not started`);
            assert.deepStrictEqual((failures?.properties["metrics"] as unknown[][]).map((m) => m.slice(0, 4)), [
                ["AWS/Events", "TriggeredRules", "RuleName", runner.taskFailedRuleName],
                ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", runner.deadLetterQueueName],
            ]);
        }
        // and only the dump runner graphs the handler's dump duration, with the missing-backup alarm's expected duration
        const duration = titled("dump-orders: dump duration (s) vs expected");
        assert.deepStrictEqual((duration?.properties["metrics"] as unknown[][])[0]?.slice(0, 4), ["PgBackupStack", "BackupDurationSeconds", "Database", "orders"]);
        assert.deepStrictEqual(duration?.properties["annotations"], { horizontal: [{ label: "expected (missing-backup alarm)", value: 40_300 }] });
        assert.strictEqual(titled("verify-orders: dump duration (s) vs expected"), undefined);
        // and no CPU or memory metric is drawn that ECS does not publish for tasks outside a service
        assert.ok(!body.some((w) => JSON.stringify(w.properties["metrics"] ?? []).includes("AWS/ECS")));
    });

    it("is deterministic, and refuses what CloudWatch would", () => {
        // given the same input twice, and bad inputs; when built
        // then the JSON is identical, and the bad ones throw naming the field
        assert.strictEqual(dashboardBody(input), dashboardBody({ ...input, alarmArns: [...input.alarmArns].reverse() }));
        assert.throws(() => dashboardBody({ ...input, databases: [], functions: [] }), /databases and functions: both are empty/);
        assert.throws(() => dashboardBody({ ...input, alarmArns: Array.from({ length: 101 }, (_, i) => `arn:${i}`) }), /alarmArns: 101 alarms/);
    });
});
