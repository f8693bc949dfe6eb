import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { regionOf } from "./context";
import { dashboardBody } from "./documents/dashboard";

/** A database shown on the dashboard. */
export interface DashboardDatabaseArgs {
    /** Logical name (the functions' Database dimension). Required. */
    readonly name: string;
    /** @default false - tables of it are exported: adds an export graph */
    readonly exported?: boolean;
    /** @default none - RDS instance identifier: adds its free-storage graph */
    readonly instanceIdentifier?: pulumi.Input<string>;
    /** @default none - allocated storage in GiB: draws the 20 % line on the free-storage graph */
    readonly allocatedStorageGb?: number;
}

/** A function shown on the dashboard. */
export interface DashboardFunctionArgs {
    /** Short label in the graph titles, e.g. `dump-orders`. Required. */
    readonly label: string;
    readonly functionName: pulumi.Input<string>;
    readonly timeoutSeconds: number;
    readonly deadLetterQueueName: pulumi.Input<string>;
}

/** A Fargate runner shown on the dashboard. */
export interface DashboardRunnerArgs {
    /** Short label in the graph titles, e.g. `dump-orders`. Required. */
    readonly label: string;
    /** The runner's task-failure rule (FargateRunner.taskFailedRuleName). Required. */
    readonly taskFailedRuleName: pulumi.Input<string>;
    readonly deadLetterQueueName: pulumi.Input<string>;
    /** @default none (a verify runner) - a dump runner's database and the seconds its dump is expected to take at most */
    readonly dump?: { readonly database: string; readonly expectedSeconds: number };
}

export interface BackupDashboardArgs {
    /** Recovery point objective in minutes: the line on the backup-age graphs. Required. */
    readonly rpoMinutes: number;
    /** Recovery time objective in minutes: the line on the restore-time graphs. Required. */
    readonly rtoMinutes: number;
    /** Databases, one row of graphs each. Required. */
    readonly databases: readonly DashboardDatabaseArgs[];
    /** Functions, one row of graphs each. Required. */
    readonly functions: readonly DashboardFunctionArgs[];
    /**
     * Fargate runners, one row of graphs each.
     * @default []
     */
    readonly runners?: readonly DashboardRunnerArgs[];
    /**
     * Alarms shown in the status widget on top (BackupAlarms.alarmArns).
     * @default []
     */
    readonly alarmArns?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * CloudWatch namespace the functions publish to.
     * @default "PgBackupStack"
     */
    readonly namespace?: string;
    /**
     * Dashboard name.
     * @default the component name
     */
    readonly dashboardName?: string;
}

type Resolved = Required<BackupDashboardArgs>;

const DEFAULTS = {
    alarmArns: [] as pulumi.Input<pulumi.Input<string>[]>,
    runners: [] as readonly DashboardRunnerArgs[],
    namespace: "PgBackupStack",
};

function withDefaults(name: string, args: BackupDashboardArgs): Resolved {
    return {
        ...args,
        alarmArns: args.alarmArns ?? DEFAULTS.alarmArns,
        runners: args.runners ?? DEFAULTS.runners,
        namespace: args.namespace ?? DEFAULTS.namespace,
        dashboardName: args.dashboardName ?? name,
    };
}

/**
 * The CloudWatch dashboard of the backup functions: alarm states, then per database its
 * backups, verifications, backup age against the RPO, restore time against the RTO, dump size
 * and duration, free storage; per function its invocations, errors, duration against the
 * timeout and dead letters; per Fargate runner its failed tasks, dead letters and (dump runners)
 * the dump's duration against the expected one.
 */
export class BackupDashboard extends pulumi.ComponentResource {
    /** Name of the dashboard. */
    public readonly dashboardName: string;
    /** ARN of the dashboard. */
    public readonly dashboardArn: pulumi.Output<string>;

    constructor(name: string, args: BackupDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:aws:BackupDashboard", name, {}, opts);
        const a = withDefaults(name, args);
        this.validate(a);
        const region = regionOf(this);
        const databases = pulumi.all(a.databases.map((db) => pulumi.output(db.instanceIdentifier).apply((instanceIdentifier) => ({
            name: db.name,
            ...(instanceIdentifier === undefined ? {} : { instanceIdentifier }),
            ...(db.allocatedStorageGb === undefined ? {} : { allocatedStorageGb: db.allocatedStorageGb }),
            exported: db.exported === true,
        }))));
        const functions = pulumi.all(a.functions.map((fn) => pulumi.all([fn.functionName, fn.deadLetterQueueName]).apply(([functionName, deadLetterQueueName]) => ({
            label: fn.label, functionName, timeoutSeconds: fn.timeoutSeconds, deadLetterQueueName,
        }))));
        const runners = pulumi.all(a.runners.map((runner) => pulumi.all([runner.taskFailedRuleName, runner.deadLetterQueueName]).apply(([taskFailedRuleName, deadLetterQueueName]) => ({
            label: runner.label, taskFailedRuleName, deadLetterQueueName, ...(runner.dump === undefined ? {} : { dump: runner.dump }),
        }))));
        const body = pulumi.all([region, databases, functions, runners, pulumi.output(a.alarmArns)]).apply(([r, dbs, fns, rns, alarmArns]) => dashboardBody({
            region: r,
            namespace: a.namespace,
            rpoMinutes: a.rpoMinutes,
            rtoMinutes: a.rtoMinutes,
            databases: dbs,
            functions: fns,
            runners: rns,
            alarmArns,
        }));
        const dashboard = new aws.cloudwatch.Dashboard(`${name}-dashboard`, {
            dashboardName: a.dashboardName,
            dashboardBody: body,
        }, { parent: this });

        this.dashboardName = a.dashboardName;
        this.dashboardArn = dashboard.dashboardArn;
        this.registerOutputs({ dashboardName: this.dashboardName, dashboardArn: this.dashboardArn });
    }

    private validate(a: Resolved): void {
        const fail = (message: string): pulumi.ResourceError => new pulumi.ResourceError(message, this);
        if (!/^[A-Za-z0-9_-]{1,255}$/.test(a.dashboardName)) {
            throw fail(`dashboardName: "${a.dashboardName}" is not allowed; expected 1-255 letters, digits, "-" or "_"`);
        }
        for (const [key, value] of [["rpoMinutes", a.rpoMinutes], ["rtoMinutes", a.rtoMinutes]] as const) {
            if (!Number.isInteger(value) || value < 1 || value > 44640) throw fail(`${key}: ${value} is out of range 1..44640`);
        }
        if (a.databases.length === 0 && a.functions.length === 0) {
            throw fail("databases and functions: both are empty; a dashboard needs at least one of them");
        }
        for (const [i, fn] of a.functions.entries()) {
            if (!Number.isInteger(fn.timeoutSeconds) || fn.timeoutSeconds < 1 || fn.timeoutSeconds > 900) {
                throw fail(`functions[${i}].timeoutSeconds: ${fn.timeoutSeconds} is out of range 1..900`);
            }
        }
        for (const [i, runner] of a.runners.entries()) {
            const seconds = runner.dump?.expectedSeconds;
            if (seconds !== undefined && (!Number.isInteger(seconds) || seconds < 1 || seconds > 1_209_600)) {
                throw fail(`runners[${i}].dump.expectedSeconds: ${seconds} is out of range 1..1209600`);
            }
        }
    }
}
