import * as assert from "assert";
import * as path from "path";
import { fromPulumiConfig } from "../../config/load";
import { StackConfig, validateConfig } from "../../config/validate";
import { MockState, settle, setupMocks, unwrap } from "../helpers/mocks";
import { engineConfig, shippedStackFiles } from "../helpers/stackFiles";

/** Validates a shipped stack file as the engine would hand it over, and declares the stack under mocks. */
async function deployUnderMocks(file: string): Promise<{ mocks: MockState; config: StackConfig; outputs: import("../../program/deploy").StackOutputs }> {
    const mocks = setupMocks("pg-backup-stack", path.basename(file).replace(/^Pulumi\.|\.yaml$/g, ""));
    const result = validateConfig(fromPulumiConfig(engineConfig(file).config));
    assert.ok(result.config, `${file}: ${result.findings.map((f) => `${f.path}: ${f.message}`).join("; ")}`);
    const { deployStack } = await import("../../program/deploy");
    const outputs = deployStack(result.config);
    await unwrap(outputs.backupBucket);
    await settle(mocks);
    return { mocks, config: result.config, outputs };
}

describe("the whole program under mocks", () => {
    for (const file of shippedStackFiles()) {
        const label = path.relative(path.resolve(__dirname, "..", ".."), file);
        describe(label, () => {
            let mocks: MockState;
            let config: StackConfig;
            before(async () => {
                ({ mocks, config } = await deployUnderMocks(file));
            });

            it("declares the key, the bucket with its log bucket, and the alert topics (alarms, backup jobs)", () => {
                // the backup key; the Audit Manager report bucket has a key of its own
                assert.deepStrictEqual(mocks.ofType("aws:kms/key:Key").map((k) => k.name).filter((n) => n !== "audit-reports-key"), ["backups-key"]);
                assert.ok(mocks.ofType("aws:s3/bucket:Bucket").length >= 2);
                assert.deepStrictEqual(mocks.ofType("aws:sns/topic:Topic").map((t) => t.name).sort(), ["alerts-jobs-topic", "alerts-topic"]);
            });

            it("sends alarms to the unfiltered topic and vault notifications to the job topic", () => {
                const alarmTopic = "arn:aws:sns:eu-west-1:123456789012:alerts-topic";
                const jobTopic = "arn:aws:sns:eu-west-1:123456789012:alerts-jobs-topic";
                for (const alarm of mocks.ofType("aws:cloudwatch/metricAlarm:MetricAlarm")) {
                    assert.deepStrictEqual(alarm.inputs["alarmActions"], [alarmTopic]);
                }
                for (const n of mocks.ofType("aws:backup/vaultNotifications:VaultNotifications")) {
                    assert.strictEqual(n.inputs["snsTopicArn"], jobTopic);
                }
                for (const sub of mocks.ofType("aws:sns/topicSubscription:TopicSubscription")) {
                    assert.strictEqual(sub.inputs["filterPolicy"] === undefined, sub.inputs["topic"] === alarmTopic);
                }
            });

            it("encrypts the topic and the bucket with the customer-managed key", () => {
                for (const topic of mocks.ofType("aws:sns/topic:Topic")) {
                    assert.match(String(topic.inputs["kmsMasterKeyId"]), /^arn:aws:kms:/);
                }
                const sse = mocks.ofType("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
                assert.ok(sse.some((r) => JSON.stringify(r.inputs).includes("aws:kms")));
            });

            it("replicates to the DR region when configured", () => {
                const replication = mocks.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig");
                assert.strictEqual(replication.length, config.storage.replication ? 1 : 0);
                assert.strictEqual(mocks.ofType("aws:kms/replicaKey:ReplicaKey").length, 1);
            });

            it("declares one RDS instance per managed database, with its retention and window", () => {
                const instances = mocks.ofType("aws:rds/instance:Instance");
                const managed = config.aws.databases.filter((d) => d.instance !== undefined);
                assert.strictEqual(instances.length, managed.length);
                for (const db of managed) {
                    const inst = instances.find((r) => r.inputs["dbName"] === db.databaseName);
                    assert.ok(inst, `instance for ${db.name}`);
                    assert.strictEqual(inst.inputs["backupRetentionPeriod"], db.instance?.backupRetentionDays);
                    assert.strictEqual(inst.inputs["backupWindow"], db.instance?.backupWindow);
                    assert.strictEqual(inst.inputs["storageEncrypted"], true);
                    assert.strictEqual(inst.inputs["deletionProtection"], db.instance?.deletionProtection ?? config.protect);
                }
            });

            it("declares the AWS Backup plan exactly when there is a managed instance and it is enabled", () => {
                const expected = config.aws.backup.enabled && config.aws.databases.some((d) => d.instance !== undefined);
                assert.strictEqual(mocks.ofType("aws:backup/plan:Plan").length, expected ? 1 : 0);
            });

            it("declares a dump function per database, exports where tables are listed, and restore verification", () => {
                const fns = mocks.ofType("aws:lambda/function:Function");
                const env = (r: (typeof fns)[number]) => (r.inputs["environment"]?.["variables"] ?? {}) as Record<string, string>;
                const dumps = fns.filter((r) => env(r)["POWERTOOLS_SERVICE_NAME"] === "pg-backup-dump");
                assert.deepStrictEqual(dumps.map((r) => env(r)["DATABASE_NAME"]).sort(), config.aws.databases.map((d) => d.name).sort());
                const exported = config.aws.databases.filter((d) => d.exportTables.length > 0 && config.schedules.export !== undefined);
                assert.strictEqual(fns.filter((r) => env(r)["POWERTOOLS_SERVICE_NAME"] === "pg-backup-export").length, exported.length);
                const verifiedNames = fns
                    .filter((r) => env(r)["POWERTOOLS_SERVICE_NAME"] === "pg-backup-verify")
                    .flatMap((r) => (env(r)["VERIFY_DATABASES"] ?? "").split(","));
                assert.deepStrictEqual(verifiedNames.sort(), config.aws.databases.filter((d) => d.verify).map((d) => d.name).sort());
                for (const fn of fns) {
                    assert.ok(!Object.keys(env(fn)).some((k) => /PASSWORD|URL/.test(k)), "no credential in a function's environment");
                }
                const schedules = mocks.ofType("aws:scheduler/schedule:Schedule");
                assert.strictEqual(schedules.length, fns.length, "every function runs on a schedule");
                assert.ok(schedules.every((sch) => typeof sch.inputs["target"]?.["deadLetterConfig"]?.["arn"] === "string"), "every schedule has a dead-letter queue");
            });

            it("alarms to the alert topic and a dashboard", () => {
                const alarms = mocks.ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
                assert.ok(alarms.length >= 4 * config.aws.databases.length);
                assert.ok(alarms.every((a) => Array.isArray(a.inputs["alarmActions"]) && a.inputs["alarmActions"].length === 1));
                assert.ok(alarms.some((a) => String(a.inputs["name"] ?? a.name).includes("backup-missing")));
                assert.strictEqual(mocks.ofType("aws:cloudwatch/dashboard:Dashboard").length, 1);
            });

            it("declares the Azure servers and storage of the azure section", () => {
                const servers = mocks.ofType("azure-native:dbforpostgresql:Server");
                assert.strictEqual(servers.length, config.azure?.servers.length ?? 0);
                (config.azure?.servers ?? []).forEach((want, i) => {
                    assert.strictEqual(servers[i]?.inputs["backup"]?.["backupRetentionDays"], want.backupRetentionDays);
                    assert.strictEqual(servers[i]?.inputs["backup"]?.["geoRedundantBackup"], want.geoRedundantBackup === false ? "Disabled" : "Enabled");
                });
                assert.strictEqual(mocks.ofType("azure-native:storage:StorageAccount").length, config.azure?.storage !== undefined ? 1 : 0);
            });

            it("parents every resource to a component or declares it at the top level on purpose", () => {
                const topLevel = mocks.resources.filter((r) => r.parent === undefined && !r.type.startsWith("pulumi:providers:")).map((r) => `${r.type}::${r.name}`);
                const components = topLevel.filter((t) => t.startsWith("pg-backup-stack:"));
                assert.deepStrictEqual(topLevel, components, "only components sit at the top level");
            });
        });
    }
});
