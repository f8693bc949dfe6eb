import * as assert from "assert";
import * as aws from "@pulumi/aws";
import { childrenOf, MockState, RANDOM_HEX, settle, setupMocks, unwrap } from "../../../helpers/mocks";
import type { RdsPostgresArgs } from "../../../../components/aws/rdsPostgres";

const COMPONENT = "pg-backup-stack:aws:RdsPostgres";
const INSTANCE = "aws:rds/instance:Instance";
const REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication";
const PARAMS = "aws:rds/parameterGroup:ParameterGroup";
const SUBNETS = "aws:rds/subnetGroup:SubnetGroup";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/primary";
const DR_KEY = "arn:aws:kms:eu-central-1:123456789012:key/replica";

describe("RdsPostgres (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/aws/rdsPostgres");

    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/aws/rdsPostgres");
    });

    const base: RdsPostgresArgs = { databaseName: "orders", kmsKeyArn: KEY, subnetIds: ["subnet-0a", "subnet-0b"] };

    it("production shape: encrypted gp3, PITR retention and windows, managed password, final snapshot, protected, replicated to DR", async () => {
        // given a production database with DR replication
        const dr = new aws.Provider("dr", { region: "eu-central-1" });
        const db = new mod.RdsPostgres("orders", {
            ...base,
            engineVersion: "16.4",
            instanceClass: "db.m7g.large",
            allocatedStorageGb: 100,
            maxAllocatedStorageGb: 400,
            multiAz: true,
            backupRetentionDays: 14,
            backupWindow: "02:00-02:30",
            maintenanceWindow: "sun:05:00-sun:05:30",
            protect: true,
            vpcSecurityGroupIds: ["sg-0db"],
            replicateBackupsToDr: true,
            drProvider: dr,
            drKmsKeyArn: DR_KEY,
            drBackupRetentionDays: 7,
            tags: { team: "data" },
        });
        await settle(mocks);
        // when the recorded instance is inspected
        const instance = mocks.one(INSTANCE, "orders-instance").inputs;
        // then storage, backups and access are what the backup policy needs
        assert.strictEqual(instance["engine"], "postgres");
        assert.strictEqual(instance["engineVersion"], "16.4");
        assert.strictEqual(instance["storageType"], "gp3");
        assert.strictEqual(instance["storageEncrypted"], true);
        assert.strictEqual(instance["kmsKeyId"], KEY);
        assert.strictEqual(instance["maxAllocatedStorage"], 400);
        assert.strictEqual(instance["backupRetentionPeriod"], 14);
        assert.strictEqual(instance["backupWindow"], "02:00-02:30");
        assert.strictEqual(instance["maintenanceWindow"], "sun:05:00-sun:05:30");
        assert.strictEqual(instance["copyTagsToSnapshot"], true);
        assert.strictEqual(instance["deleteAutomatedBackups"], false);
        assert.strictEqual(instance["deletionProtection"], true);
        assert.strictEqual(instance["skipFinalSnapshot"], false);
        assert.strictEqual(instance["finalSnapshotIdentifier"], `orders-final-${RANDOM_HEX}`);
        assert.strictEqual(instance["publiclyAccessible"], false);
        assert.strictEqual(instance["manageMasterUserPassword"], true);
        assert.strictEqual(instance["masterUserSecretKmsKeyId"], KEY);
        assert.strictEqual(instance["password"], undefined);
        assert.strictEqual(instance["performanceInsightsEnabled"], true);
        assert.strictEqual(instance["performanceInsightsKmsKeyId"], KEY);
        assert.deepStrictEqual(instance["vpcSecurityGroupIds"], ["sg-0db"]);
        assert.deepStrictEqual(instance["tags"], { "backup-plan": "pg-backup-stack", "pg-backup-stack:database": "orders", team: "data" });
        assert.strictEqual(mocks.one(INSTANCE, "orders-instance").protect, true);
        // and it sits in its own subnet group with the TLS-only parameter group of its major version
        assert.strictEqual(instance["dbSubnetGroupName"], "orders-subnets-generated");
        assert.deepStrictEqual(mocks.one(SUBNETS, "orders-subnets").inputs["subnetIds"], ["subnet-0a", "subnet-0b"]);
        const params = mocks.one(PARAMS, "orders-params").inputs;
        assert.strictEqual(instance["parameterGroupName"], "orders-params-generated");
        assert.strictEqual(params["family"], "postgres16");
        assert.ok((params["parameters"] as { name: string; value: string }[]).some((p) => p.name === "rds.force_ssl" && p.value === "1"));
        // and automated backups are replicated into the DR region with the replica key
        const replication = mocks.one(REPLICATION, "orders-dr-backups");
        assert.strictEqual(replication.inputs["kmsKeyId"], DR_KEY);
        assert.strictEqual(replication.inputs["retentionPeriod"], 7);
        assert.strictEqual(replication.inputs["sourceDbInstanceArn"], await unwrap(db.instanceArn));
        assert.match(replication.provider ?? "", /::dr::/);
        // and outputs name the secret and the DR backups, never a password
        assert.match(await unwrap(db.masterUserSecretArn), /^arn:aws:secretsmanager:/);
        assert.strictEqual(await unwrap(db.finalSnapshotIdentifier), `orders-final-${RANDOM_HEX}`);
        assert.strictEqual(await unwrap(db.drAutomatedBackupsArn), "orders-dr-backups-id");
    });

    it("defaults: deletion protection on, 7 days of backups, no DR replication, no Pulumi protect", async () => {
        // given only the required arguments
        new mod.RdsPostgres("app", base);
        await settle(mocks);
        // then
        const instance = mocks.one(INSTANCE, "app-instance").inputs;
        assert.strictEqual(instance["deletionProtection"], true);
        assert.strictEqual(instance["backupRetentionPeriod"], 7);
        assert.strictEqual(instance["backupWindow"], "03:00-03:30");
        assert.strictEqual(instance["maxAllocatedStorage"], undefined);
        assert.strictEqual(instance["username"], "pgadmin");
        assert.strictEqual(instance["identifier"], `app-${RANDOM_HEX}`);
        assert.strictEqual(mocks.one(PARAMS, "app-params").inputs["family"], "postgres15");
        assert.deepStrictEqual(mocks.ofType(REPLICATION), []);
        assert.strictEqual(mocks.one(INSTANCE, "app-instance").protect, false);
    });

    it("an adopted instance keeps its identifier, which also names the final snapshot", async () => {
        // given the identifier of an existing instance
        new mod.RdsPostgres("legacy", { ...base, identifier: "legacy-db-1" });
        await settle(mocks);
        // then
        const instance = mocks.one(INSTANCE, "legacy-instance").inputs;
        assert.strictEqual(instance["identifier"], "legacy-db-1");
        assert.strictEqual(instance["finalSnapshotIdentifier"], `legacy-db-1-final-${RANDOM_HEX}`);
    });

    it("declares the log groups RDS publishes to, with retention and the key, before the instance", async () => {
        // given an instance whose identifier is given, with 90 days of log retention
        new mod.RdsPostgres("orders", { ...base, identifier: "pg-backup-prod-orders", logRetentionDays: 90 });
        await settle(mocks);
        // when its log groups and the instance are inspected
        const instance = mocks.one(INSTANCE, "orders-instance");
        const groups = mocks.ofType(LOG_GROUP);
        // then every exported log has its group, named as RDS names it, kept 90 days and encrypted with the key
        assert.deepStrictEqual(instance.inputs["enabledCloudwatchLogsExports"], ["postgresql", "upgrade"]);
        assert.deepStrictEqual(groups.map((g) => g.inputs["name"]).sort(), [
            "/aws/rds/instance/pg-backup-prod-orders/postgresql",
            "/aws/rds/instance/pg-backup-prod-orders/upgrade",
        ]);
        for (const g of groups) {
            assert.strictEqual(g.inputs["retentionInDays"], 90);
            assert.strictEqual(g.inputs["kmsKeyId"], KEY);
            // and the instance waits for it, so that RDS never creates the group itself
            assert.ok(instance.dependencies.some((urn) => urn.endsWith(`::${g.name}`)), `the instance depends on ${g.name}`);
        }
    });

    it("without an identifier, one is generated from the component name and names the log groups", async () => {
        // given no identifier
        new mod.RdsPostgres("Reports_DB", base);
        await settle(mocks);
        // then the instance and its log groups share a valid generated identifier
        const identifier = mocks.one(INSTANCE, "Reports_DB-instance").inputs["identifier"];
        assert.strictEqual(identifier, `reports-db-${RANDOM_HEX}`);
        assert.ok(mocks.ofType(LOG_GROUP).every((g) => String(g.inputs["name"]).startsWith(`/aws/rds/instance/${identifier}/`)));
        assert.strictEqual(mocks.ofType(LOG_GROUP)[0]?.inputs["retentionInDays"], 365);
    });

    it("Performance Insights stays off on classes without it, and when switched off", async () => {
        // given a micro class and a switched-off large one
        new mod.RdsPostgres("small", { ...base, instanceClass: "db.t4g.micro" });
        new mod.RdsPostgres("off", { ...base, performanceInsights: false });
        await settle(mocks);
        // then neither enables it nor names a key for it
        for (const n of ["small-instance", "off-instance"]) {
            const i = mocks.one(INSTANCE, n).inputs;
            assert.strictEqual(i["performanceInsightsEnabled"], false);
            assert.strictEqual(i["performanceInsightsKmsKeyId"], undefined);
        }
    });

    it("slow statements are logged when a threshold is given", async () => {
        new mod.RdsPostgres("slow", { ...base, logMinDurationStatementMs: 250 });
        await settle(mocks);
        const params = mocks.one(PARAMS, "slow-params").inputs["parameters"] as { name: string; value: string }[];
        assert.strictEqual(params.find((p) => p.name === "log_min_duration_statement")?.value, "250");
    });

    it("every child is parented to the component", async () => {
        // given a component with every optional child
        const dr = new aws.Provider("dr2", { region: "eu-central-1" });
        new mod.RdsPostgres("all", { ...base, replicateBackupsToDr: true, drProvider: dr, drKmsKeyArn: DR_KEY });
        await settle(mocks);
        // then all five children name it as parent
        assert.deepStrictEqual(childrenOf(mocks, COMPONENT, "all").sort(), [
            "aws:cloudwatch/logGroup:LogGroup::all-log-postgresql",
            "aws:cloudwatch/logGroup:LogGroup::all-log-upgrade",
            "aws:rds/instance:Instance::all-instance",
            "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication::all-dr-backups",
            "aws:rds/parameterGroup:ParameterGroup::all-params",
            "aws:rds/subnetGroup:SubnetGroup::all-subnets",
            "random:index/randomId:RandomId::all-final-snapshot",
        ]);
    });

    describe("refuses bad arguments before creating anything", () => {
        const cases: [string, Partial<RdsPostgresArgs>, RegExp][] = [
            ["engine major", { engineVersion: "12" }, /engineVersion: "12" must be a PostgreSQL version with major 13, 14, 15, 16, 17/],
            ["retention", { backupRetentionDays: 36 }, /backupRetentionDays: 36 is out of range 0\.\.35/],
            ["window length", { backupWindow: "03:00-03:10" }, /backupWindow: "03:00-03:10" is 10 minutes long; RDS needs at least 30/],
            ["window overlap", { backupWindow: "04:45-05:15" }, /maintenanceWindow: "sun:05:00-sun:05:30" overlaps backupWindow "04:45-05:15"/],
            ["one subnet", { subnetIds: ["subnet-0a"] }, /subnetIds: 1 subnet\(s\) given; a DB subnet group needs at least 2/],
            ["autoscaling maximum", { allocatedStorageGb: 100, maxAllocatedStorageGb: 109 }, /maxAllocatedStorageGb: 109 is out of range 110\.\.65536/],
            ["database name", { databaseName: "_orders" }, /databaseName: "_orders" must be 1-63 letters/],
            ["identifier", { identifier: "Orders--1" }, /identifier: "Orders--1" must be/],
            ["port", { port: 80 }, /port: 80 is out of range 1150\.\.65535/],
            ["log retention", { logRetentionDays: 100 }, /logRetentionDays: 100 is not allowed; expected one of 1, 3, 5, 7, 14, 30, 60, 90/],
            ["replication without provider", { replicateBackupsToDr: true, drKmsKeyArn: DR_KEY }, /drProvider: \(missing\) is required when replicateBackupsToDr is true/],
            ["replication without key", { replicateBackupsToDr: true, drProvider: new aws.Provider("x", { region: "eu-central-1" }) }, /drKmsKeyArn: \(missing\) is required/],
            ["replication without backups", { replicateBackupsToDr: true, backupRetentionDays: 0 }, /replicateBackupsToDr: true needs automated backups; backupRetentionDays is 0/],
            ["DR retention", { replicateBackupsToDr: true, drProvider: new aws.Provider("y", { region: "eu-central-1" }), drKmsKeyArn: DR_KEY, drBackupRetentionDays: 40 }, /drBackupRetentionDays: 40 is out of range 1\.\.35/],
        ];
        for (const [what, bad, message] of cases) {
            it(what, async () => {
                // given one bad argument / when constructed / then a ResourceError names it
                assert.throws(() => new mod.RdsPostgres(`bad-${what.replace(/\W+/g, "-")}`, { ...base, ...bad }), message);
                await settle(mocks);
                // and no RDS resource was declared
                assert.deepStrictEqual(mocks.resources.filter((r) => r.type.startsWith("aws:rds/")).map((r) => r.name), []);
            });
        }
    });
});
