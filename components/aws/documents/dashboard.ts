import { DATABASE_DIMENSION, DURATION_ALARM_RATIO, FREE_STORAGE_RATIO, FUNCTION_METRICS, GIB } from "./alarms";

/**
 * The CloudWatch dashboard of the backup stack: alarm states on top, then one row per database
 * (backups, verification, age against the RPO, restore time against the RTO, size, exports,
 * free storage), then one row per function (invocations and errors, duration against the timeout,
 * dead letters). A pure function of plain values; the JSON is deterministic.
 */

export interface DashboardDatabase {
    /** Logical name (the Database dimension). */
    readonly name: string;
    /** Tables of it are exported: adds an export graph. */
    readonly exported?: boolean;
    /** RDS instance identifier, when the stack knows it: adds a free-storage graph. */
    readonly instanceIdentifier?: string;
    /** Allocated storage in GiB: draws the 20 % line on the free-storage graph. */
    readonly allocatedStorageGb?: number;
}

export interface DashboardFunction {
    /** Short label in the graph titles, e.g. `dump-orders`. */
    readonly label: string;
    readonly functionName: string;
    readonly timeoutSeconds: number;
    readonly deadLetterQueueName: string;
}

/**
 * A scheduled Fargate task (FargateRunner). Without Container Insights (a paid cluster setting)
 * ECS publishes no CPU or memory metric for tasks that belong to no service (Amazon ECS Developer
 * Guide, "Amazon ECS CloudWatch metrics": cluster and service metrics only,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/available-metrics.html), so a
 * runner's row shows its failed tasks (its rule's matches, AWS/Events TriggeredRules), its dead
 * letters, and, for a dump runner, its database's dump duration (the handler's own
 * BackupDurationSeconds) against the duration the missing-backup alarm allows.
 */
export interface DashboardRunner {
    /** Short label in the graph titles, e.g. `dump-orders`. */
    readonly label: string;
    readonly taskFailedRuleName: string;
    readonly deadLetterQueueName: string;
    /** A dump runner's database and the seconds its dump is expected to take at most. */
    readonly dump?: { readonly database: string; readonly expectedSeconds: number };
}

export interface DashboardInput {
    readonly region: string;
    readonly namespace: string;
    readonly rpoMinutes: number;
    readonly rtoMinutes: number;
    readonly databases: readonly DashboardDatabase[];
    readonly functions: readonly DashboardFunction[];
    /** Fargate runners, one row each (none when omitted). */
    readonly runners?: readonly DashboardRunner[];
    /** Alarms shown in the status widget (CloudWatch shows at most 100). */
    readonly alarmArns: readonly string[];
}

/** The metric array CloudWatch dashboards read: namespace, name, dimension pairs, then options. */
type MetricLine = readonly (string | { readonly [key: string]: string | number })[];

interface Widget {
    readonly type: "metric" | "alarm" | "text";
    readonly x: number;
    readonly y: number;
    readonly width: number;
    readonly height: number;
    readonly properties: Readonly<Record<string, unknown>>;
}

/** CloudWatch dashboards are 24 units wide. */
const GRID_WIDTH = 24;
const GRAPH_HEIGHT = 6;
const MAX_ALARMS_IN_WIDGET = 100;

/** The dashboard body JSON. */
export function dashboardBody(input: DashboardInput): string {
    if (input.databases.length === 0 && input.functions.length === 0) {
        throw new RangeError("databases and functions: both are empty; a dashboard needs at least one of them");
    }
    if (input.alarmArns.length > MAX_ALARMS_IN_WIDGET) {
        throw new RangeError(`alarmArns: ${input.alarmArns.length} alarms; a CloudWatch alarm widget shows at most ${MAX_ALARMS_IN_WIDGET}`);
    }
    const rows: Omit<Widget, "x" | "y">[][] = [];
    if (input.alarmArns.length > 0) {
        rows.push([{
            type: "alarm",
            width: GRID_WIDTH,
            height: Math.min(2 + Math.ceil(input.alarmArns.length / 4), 12),
            properties: { title: "Backup alarms", alarms: [...input.alarmArns].sort(), sortBy: "stateUpdatedTimestamp" },
        }]);
    }
    for (const db of input.databases) rows.push(databaseRow(input, db));
    for (const fn of input.functions) rows.push(functionRow(input, fn));
    for (const runner of input.runners ?? []) rows.push(runnerRow(input, runner));
    return JSON.stringify({ widgets: layout(rows) });
}

/** Places rows top to bottom, widgets left to right, wrapping at the grid's width. */
function layout(rows: readonly Omit<Widget, "x" | "y">[][]): Widget[] {
    const widgets: Widget[] = [];
    let y = 0;
    for (const row of rows) {
        let x = 0;
        let rowHeight = 0;
        for (const w of row) {
            if (x + w.width > GRID_WIDTH) {
                y += rowHeight;
                x = 0;
                rowHeight = 0;
            }
            widgets.push({ ...w, x, y });
            x += w.width;
            rowHeight = Math.max(rowHeight, w.height);
        }
        y += rowHeight;
    }
    return widgets;
}

function graph(input: DashboardInput, title: string, metrics: readonly MetricLine[], extra: Record<string, unknown> = {}): Omit<Widget, "x" | "y"> {
    return {
        type: "metric",
        width: 6,
        height: GRAPH_HEIGHT,
        properties: { title, region: input.region, view: "timeSeries", stacked: false, period: 3600, metrics, ...extra },
    };
}

function horizontal(label: string, value: number): { readonly horizontal: readonly { readonly label: string; readonly value: number }[] } {
    return { horizontal: [{ label, value }] };
}

function databaseRow(input: DashboardInput, db: DashboardDatabase): Omit<Widget, "x" | "y">[] {
    const m = (metric: string, stat: string, label: string, options: Record<string, string> = {}): MetricLine =>
        [input.namespace, metric, DATABASE_DIMENSION, db.name, { stat, label, ...options }];
    const row = [
        graph(input, `${db.name}: backups and verifications`, [
            m(FUNCTION_METRICS.backupSucceeded, "Sum", "dumps succeeded"),
            m(FUNCTION_METRICS.backupFailed, "Sum", "dumps failed"),
            m(FUNCTION_METRICS.verificationSucceeded, "Sum", "verifications passed"),
            m(FUNCTION_METRICS.verificationFailed, "Sum", "verifications failed"),
        ]),
        graph(input, `${db.name}: newest backup age (s) vs RPO`, [m(FUNCTION_METRICS.backupAgeSeconds, "Maximum", "age")], {
            annotations: horizontal("RPO", input.rpoMinutes * 60),
        }),
        graph(input, `${db.name}: restore time (s) vs RTO`, [m(FUNCTION_METRICS.restoreSeconds, "Maximum", "restore")], {
            annotations: horizontal("RTO", input.rtoMinutes * 60),
        }),
        graph(input, `${db.name}: dump size and duration`, [
            m(FUNCTION_METRICS.backupSizeBytes, "Maximum", "size (bytes)"),
            m(FUNCTION_METRICS.backupDurationSeconds, "Maximum", "duration (s)", { yAxis: "right" }),
        ]),
    ];
    if (db.exported === true) {
        row.push(graph(input, `${db.name}: table exports`, [
            m(FUNCTION_METRICS.exportSucceeded, "Sum", "tables exported"),
            m(FUNCTION_METRICS.exportFailed, "Sum", "tables failed"),
            m(FUNCTION_METRICS.exportRows, "Sum", "rows", { yAxis: "right" }),
        ]));
    }
    if (db.instanceIdentifier !== undefined) {
        row.push(graph(input, `${db.name}: RDS free storage (bytes)`, [["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", db.instanceIdentifier, { stat: "Minimum", label: "free" }]], {
            period: 300,
            ...(db.allocatedStorageGb === undefined ? {} : { annotations: horizontal(`${Math.round(FREE_STORAGE_RATIO * 100)} % of allocated`, Math.floor(db.allocatedStorageGb * GIB * FREE_STORAGE_RATIO)) }),
        }));
    }
    return row;
}

function functionRow(input: DashboardInput, fn: DashboardFunction): Omit<Widget, "x" | "y">[] {
    const lambda = (metric: string, stat: string, label: string): MetricLine => ["AWS/Lambda", metric, "FunctionName", fn.functionName, { stat, label }];
    return [
        graph(input, `${fn.label}: invocations and errors`, [
            lambda("Invocations", "Sum", "invocations"),
            lambda("Errors", "Sum", "errors"),
            lambda("Throttles", "Sum", "throttles"),
        ]),
        graph(input, `${fn.label}: duration (ms) vs timeout`, [lambda("Duration", "p99", "p99"), lambda("Duration", "Maximum", "max")], {
            annotations: {
                horizontal: [
                    { label: `${Math.round(DURATION_ALARM_RATIO * 100)} % of timeout`, value: Math.round(fn.timeoutSeconds * 1000 * DURATION_ALARM_RATIO) },
                    { label: "timeout", value: fn.timeoutSeconds * 1000 },
                ],
            },
        }),
        graph(input, `${fn.label}: dead letters`, [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", fn.deadLetterQueueName, { stat: "Maximum", label: "messages" }]], {
            period: 300,
        }),
    ];
}

function runnerRow(input: DashboardInput, runner: DashboardRunner): Omit<Widget, "x" | "y">[] {
    const row = [
        graph(input, `${runner.label}: Fargate tasks failed, runs not started`, [
            ["AWS/Events", "TriggeredRules", "RuleName", runner.taskFailedRuleName, { stat: "Sum", label: "tasks stopped without succeeding" }],
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", runner.deadLetterQueueName, { stat: "Maximum", label: "dead letters (runs not started)", yAxis: "right" }],
        ]),
    ];
    if (runner.dump !== undefined) {
        row.push(graph(input, `${runner.label}: dump duration (s) vs expected`, [
            [input.namespace, FUNCTION_METRICS.backupDurationSeconds, DATABASE_DIMENSION, runner.dump.database, { stat: "Maximum", label: "duration" }],
        ], { annotations: horizontal("expected (missing-backup alarm)", runner.dump.expectedSeconds) }));
    }
    return row;
}
