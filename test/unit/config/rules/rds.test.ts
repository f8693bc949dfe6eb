import * as assert from "assert";
import { formatFinding } from "../../../../config/findings";
import { describeRuleCases, findingsAt, RuleCase, validConfig, validate } from "../../../helpers/config";

const DB = "aws.databases[0]";
const INSTANCE = `${DB}.instance`;
const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:legacy-db";

interface Case extends RuleCase {
    readonly name: string;
}

/** Each rule: a config that breaks it (one finding at the path) and its nearest neighbour that does not. */
const CASES: readonly Case[] = [
    {
        name: "AWS Backup start window clear of the RDS backup window",
        bad: { [`${INSTANCE}.backupWindow`]: "01:30-02:00" },
        good: { [`${INSTANCE}.backupWindow`]: "02:00-02:30" },
        severity: "error", path: `${INSTANCE}.backupWindow`,
        message: /overlaps the AWS Backup start window 01:00-02:00 UTC \(aws.backup.schedule "cron\(0 1 \* \* \? \*\)", startWindowMinutes 60\)/,
    },
    {
        name: "AWS Backup start window clear of the RDS backup window: a longer start window reaches it",
        bad: { "aws.backup.startWindowMinutes": 150 },
        good: { "aws.backup.startWindowMinutes": 120 },
        severity: "error", path: `${INSTANCE}.backupWindow`, message: /overlaps the AWS Backup start window 01:00-03:30 UTC/,
    },
    {
        name: "AWS Backup start window clear of the RDS backup window: no plan, no clash",
        bad: { [`${INSTANCE}.backupWindow`]: "01:00-01:30" },
        good: { [`${INSTANCE}.backupWindow`]: "01:00-01:30", "aws.backup.enabled": false },
        severity: "error", path: `${INSTANCE}.backupWindow`, message: /overlaps the AWS Backup start window/,
    },
    {
        name: "AWS Backup start window clear of the maintenance window (warning)",
        bad: { [`${INSTANCE}.maintenanceWindow`]: "mon:01:30-mon:02:00" },
        good: { [`${INSTANCE}.maintenanceWindow`]: "mon:02:00-mon:02:30" },
        severity: "warning", path: `${INSTANCE}.maintenanceWindow`, message: /overlaps the AWS Backup start window 01:00-02:00 UTC; that day's backup may start late or expire/,
    },
    {
        name: "automated backups off outside prod (warning)",
        bad: { [`${INSTANCE}.backupRetentionDays`]: 0, [`${INSTANCE}.replicateBackupsToDr`]: false },
        good: { [`${INSTANCE}.backupRetentionDays`]: 1, [`${INSTANCE}.replicateBackupsToDr`]: false },
        severity: "warning", path: `${INSTANCE}.backupRetentionDays`, message: /turns automated backups off: no point-in-time recovery/,
    },
    {
        name: "replication with no automated backups is skipped (warning)",
        bad: { [`${INSTANCE}.backupRetentionDays`]: 0 },
        good: { [`${INSTANCE}.backupRetentionDays`]: 0, [`${INSTANCE}.replicateBackupsToDr`]: false },
        severity: "warning", path: `${INSTANCE}.replicateBackupsToDr`, message: /nothing to replicate while backupRetentionDays is 0/,
    },
    {
        name: "DR retention without replication (warning)",
        bad: { [`${INSTANCE}.replicateBackupsToDr`]: false, [`${INSTANCE}.drBackupRetentionDays`]: 7 },
        good: { [`${INSTANCE}.drBackupRetentionDays`]: 7 },
        severity: "warning", path: `${INSTANCE}.drBackupRetentionDays`, message: /no effect while replicateBackupsToDr is false/,
    },
    {
        name: "Aurora backtrack refused on an instance",
        bad: { [`${INSTANCE}.backtrackWindowHours`]: 24 },
        good: {},
        severity: "error", path: `${INSTANCE}.backtrackWindowHours`, message: /Aurora setting .* Backtrack exists only for Aurora MySQL clusters; use point-in-time recovery/,
    },
    {
        name: "Aurora Serverless v2 refused on an instance",
        bad: { [`${INSTANCE}.serverlessV2`]: { minCapacity: 0.5, maxCapacity: 4 } },
        good: {},
        severity: "error", path: `${INSTANCE}.serverlessV2`, message: /Aurora setting .* choose an instanceClass instead/,
    },
    {
        name: "Aurora global database refused on an instance",
        bad: { [`${INSTANCE}.globalClusterIdentifier`]: "global-orders" },
        good: {},
        severity: "error", path: `${INSTANCE}.globalClusterIdentifier`, message: /Aurora setting .* replicateBackupsToDr/,
    },
    {
        name: "database names unique",
        bad: { "aws.databases[1]": { name: "app", databaseName: "other", instance: {} } },
        good: { "aws.databases[1]": { name: "app2", databaseName: "other", instance: {} } },
        severity: "error", path: "aws.databases[1].name", message: /is already the name of aws.databases\[0\]; names must be unique/,
    },
    {
        name: "instance identifiers unique",
        bad: { [`${INSTANCE}.identifier`]: "orders-db", "aws.databases[1]": { name: "app2", databaseName: "other", instance: { identifier: "orders-db" } } },
        good: { [`${INSTANCE}.identifier`]: "orders-db", "aws.databases[1]": { name: "app2", databaseName: "other", instance: { identifier: "orders-db-2" } } },
        severity: "error", path: "aws.databases[1].instance.identifier", message: /already the identifier of aws.databases\[0\].instance/,
    },
    {
        name: "a database without instance needs its host",
        bad: { [INSTANCE]: undefined, [`${DB}.credentialsSecretArn`]: SECRET },
        good: { [INSTANCE]: undefined, [`${DB}.credentialsSecretArn`]: SECRET, [`${DB}.host`]: "legacy.example.internal" },
        severity: "error", path: `${DB}.host`, message: /is required when the database has no instance/,
    },
    {
        name: "a database without instance needs its credentials secret",
        bad: { [INSTANCE]: undefined, [`${DB}.host`]: "legacy.example.internal" },
        good: { [INSTANCE]: undefined, [`${DB}.host`]: "legacy.example.internal", [`${DB}.credentialsSecretArn`]: SECRET },
        severity: "error", path: `${DB}.credentialsSecretArn`, message: /is required when the database has no instance: give the Secrets Manager secret/,
    },
    {
        name: "host only for databases without instance",
        bad: { [`${DB}.host`]: "orders.example.internal" },
        good: {},
        severity: "error", path: `${DB}.host`, message: /only for databases the stack does not manage/,
    },
    {
        name: "engine major 13..17 (below)",
        bad: { [`${INSTANCE}.engineVersion`]: "12.19" },
        good: { [`${INSTANCE}.engineVersion`]: "13.15" },
        severity: "error", path: `${INSTANCE}.engineVersion`, message: /has major 12; supported PostgreSQL majors are 13, 14, 15, 16, 17/,
    },
    {
        name: "engine major 13..17 (above)",
        bad: { [`${INSTANCE}.engineVersion`]: "18" },
        good: { [`${INSTANCE}.engineVersion`]: "17" },
        severity: "error", path: `${INSTANCE}.engineVersion`, message: /has major 18/,
    },
    {
        name: "storage autoscaling maximum at least 10 % above the allocation",
        // On Fargate, so that the Lambda-fit estimate of a 55 GB database says nothing here.
        bad: { [`${INSTANCE}.allocatedStorageGb`]: 50, [`${INSTANCE}.maxAllocatedStorageGb`]: 54, [`${DB}.runner`]: "fargate" },
        good: { [`${INSTANCE}.allocatedStorageGb`]: 50, [`${INSTANCE}.maxAllocatedStorageGb`]: 55, [`${DB}.runner`]: "fargate" },
        severity: "error", path: `${INSTANCE}.maxAllocatedStorageGb`, message: /must be at least 55 \(10 % above allocatedStorageGb 50\)/,
    },
    {
        name: "RDS ports 1150..65535",
        bad: { [`${DB}.port`]: 1149 },
        good: { [`${DB}.port`]: 1150 },
        severity: "error", path: `${DB}.port`, message: /is below 1150; RDS instances listen on ports 1150..65535/,
    },
    {
        name: "RDS database name starts with a letter",
        bad: { [`${DB}.databaseName`]: "_app" },
        good: { [`${DB}.databaseName`]: "app_1" },
        severity: "error", path: `${DB}.databaseName`, message: /must start with a letter/,
    },
    {
        name: "DB subnet group of at least 2 subnets (from the network)",
        bad: { "aws.network.subnetIds": ["subnet-0a"] },
        good: { "aws.network.subnetIds": ["subnet-0a"], [`${INSTANCE}.subnetIds`]: ["subnet-1a", "subnet-1b"] },
        severity: "error", path: "aws.network.subnetIds", message: /gives 1 subnet\(s\) for the instance; a DB subnet group needs at least 2/,
    },
    {
        name: "DB subnet group of at least 2 subnets (no network at all; the instance's own subnets are enough for it)",
        bad: { "aws.network": undefined },
        good: { "aws.network": { vpcId: "vpc-0abc", subnetIds: ["subnet-0a"] }, [`${INSTANCE}.subnetIds`]: ["subnet-1a", "subnet-1b"] },
        severity: "error", path: `${INSTANCE}.subnetIds`, message: /gives 0 subnet\(s\)/,
    },
    {
        name: "a replicated master secret needs the replica key storage.replication provides",
        bad: { [`${INSTANCE}.masterCredentials`]: "replicated", "storage.replication": false },
        good: { [`${INSTANCE}.masterCredentials`]: "replicated" },
        severity: "error", path: `${INSTANCE}.masterCredentials`,
        message: /needs the replica key of the backup key in eu-central-1, which storage\.replication provides; set storage\.replication to true, or masterCredentials to "rds-managed"/,
    },
    {
        name: "a replicated master secret needs a DR region",
        bad: { [`${INSTANCE}.masterCredentials`]: "replicated", regions: undefined },
        good: { [`${INSTANCE}.masterCredentials`]: "replicated" },
        severity: "error", path: `${INSTANCE}.masterCredentials`, message: /needs regions\.dr to replicate the secret to/,
    },
];

describe("configuration validation: RDS rules", () => {
    it("the base configuration has no RDS finding", () => {
        // given the helper's minimal config / when validated / then nothing under aws.databases
        assert.deepStrictEqual(validate(validConfig()).filter((f) => f.path.startsWith("aws.databases")).map(formatFinding), []);
    });

    // the neighbours of error cases are free of errors at any key
    describeRuleCases(CASES, (c) => c.severity === "error");

    it("in prod, automated backups off are an error of the prod minimum only, not a second warning", () => {
        // given a prod stack with retention 0
        const findings = validate(validConfig({
            environment: "prod", "storage.objectLock": { mode: "COMPLIANCE", days: 7 },
            [`${INSTANCE}.backupRetentionDays`]: 0, [`${INSTANCE}.replicateBackupsToDr`]: false,
        }));
        // then one error at the key (the prod minimum) and no warning there
        assert.strictEqual(findingsAt(findings, `${INSTANCE}.backupRetentionDays`, "error").length, 1);
        assert.deepStrictEqual(findingsAt(findings, `${INSTANCE}.backupRetentionDays`, "warning"), []);
    });
});
