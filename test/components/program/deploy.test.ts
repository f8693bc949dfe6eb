import * as assert from "assert";
import * as path from "path";
import { StackConfig } from "../../../config/validate";
import { MockState } from "../../helpers/mocks";
import { deployUnderMocks } from "../../helpers/program";
import { shippedStackFiles } from "../../helpers/stackFiles";
import { readStackFile } from "../../../config/load";
import { backupMaxAgeMinutes, dumpReportSeconds } from "../../../config/rules/functions";

describe("the whole program under mocks", () => {
    for (const file of shippedStackFiles()) {
        const label = path.relative(path.resolve(__dirname, "..", "..", ".."), file);
        describe(label, () => {
            let mocks: MockState;
            let config: StackConfig;
            before(async () => {
                ({ mocks, config } = await deployUnderMocks(file));
            });
            /** An Azure-only stack (no regions) declares none of the AWS resources the AWS checks look at. */
            const azureOnly = readStackFile(file).values["regions"] === undefined;
            const itAws = azureOnly ? (): void => undefined : it;

            if (azureOnly) {
                it("declares no AWS resource and no AWS provider", () => {
                    assert.deepStrictEqual(mocks.resources.filter((r) => r.type.startsWith("aws:") || r.type === "pulumi:providers:aws").map((r) => `${r.type}::${r.name}`), []);
                });
            }

            itAws("declares the key, the bucket with its log bucket, and the alert topics (alarms, backup jobs)", () => {
                // the backup key; the Audit Manager report bucket has a key of its own
                assert.deepStrictEqual(mocks.ofType("aws:kms/key:Key").map((k) => k.name).filter((n) => n !== "audit-reports-key"), ["backups-key"]);
                assert.ok(mocks.ofType("aws:s3/bucket:Bucket").length >= 2);
                assert.deepStrictEqual(mocks.ofType("aws:sns/topic:Topic").map((t) => t.name).sort(), ["alerts-jobs-topic", "alerts-topic"]);
            });

            itAws("sends alarms to the unfiltered topic and vault notifications to the job topic", () => {
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

            itAws("encrypts the topic and the bucket with the customer-managed key", () => {
                for (const topic of mocks.ofType("aws:sns/topic:Topic")) {
                    assert.match(String(topic.inputs["kmsMasterKeyId"]), /^arn:aws:kms:/);
                }
                const sse = mocks.ofType("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
                assert.ok(sse.some((r) => JSON.stringify(r.inputs).includes("aws:kms")));
            });

            itAws("replicates to the DR region when configured", () => {
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

            it("declares the AWS Backup plan exactly when it is enabled and has a managed instance or a file bucket to protect", () => {
                const b = config.aws.backup;
                const expected = b.enabled && (config.aws.databases.some((d) => d.instance !== undefined) || b.fileBuckets.length > 0);
                assert.strictEqual(mocks.ofType("aws:backup/plan:Plan").length, expected ? 1 : 0);
            });

            itAws("records the configuration in force in the backup bucket, without its secrets, and keeps superseded records", () => {
                const objects = mocks.ofType("aws:s3/bucketObjectv2:BucketObjectv2").filter((o) => o.name === "stack-config");
                assert.strictEqual(objects.length, 1);
                const o = objects[0];
                assert.match(String(o?.inputs["key"]), new RegExp(`^stack-config/${config.environment}/[0-9a-f]{64}\\.json$`));
                assert.strictEqual(o?.inputs["serverSideEncryption"], "aws:kms");
                assert.strictEqual(o?.inputs["checksumAlgorithm"], "SHA256", "Object Lock buckets refuse a PUT without a checksum");
                const recorded = JSON.parse(String(o?.inputs["content"])) as { config: { environment: string } };
                assert.strictEqual(recorded.config.environment, config.environment);
                for (const url of config.alerts.webhookUrls) assert.ok(!String(o?.inputs["content"]).includes(typeof url === "string" ? url : url.secure));
            });

            it("selects every configured file bucket, by ARN, into that plan", async () => {
                const selections = mocks.ofType("aws:backup/selection:Selection").filter((s) => s.inputs["name"] === "file-buckets");
                const buckets = config.aws.backup.fileBuckets;
                assert.deepStrictEqual(selections.flatMap((s) => s.inputs["resources"] as string[]), buckets.map((b) => `arn:aws:s3:::${b}`));
                const plan = mocks.ofType("aws:backup/plan:Plan")[0];
                for (const s of selections) assert.strictEqual(s.inputs["planId"], plan === undefined ? undefined : `${plan.name}-id`);
            });

            /** Every scheduled run, Lambda function or Fargate task, with its handler's environment. */
            const runs = (): { kind: "lambda" | "fargate"; name: string; env: Record<string, string> }[] => [
                ...mocks.ofType("aws:lambda/function:Function").map((r) => ({
                    kind: "lambda" as const, name: r.name, env: (r.inputs["environment"]?.["variables"] ?? {}) as Record<string, string>,
                })),
                ...mocks.ofType("aws:ecs/taskDefinition:TaskDefinition").map((r) => {
                    const [container] = JSON.parse(String(r.inputs["containerDefinitions"])) as { environment: { name: string; value: string }[] }[];
                    return { kind: "fargate" as const, name: r.name, env: Object.fromEntries((container?.environment ?? []).map((e) => [e.name, e.value])) };
                }),
            ];

            it("declares a dump per database, on its runner, exports where tables are listed, and restore verification", () => {
                const all = runs();
                const dumps = all.filter((r) => r.env["POWERTOOLS_SERVICE_NAME"] === "pg-backup-dump");
                assert.deepStrictEqual(dumps.map((r) => r.env["DATABASE_NAME"]).sort(), config.aws.databases.map((d) => d.name).sort());
                for (const db of config.aws.databases) {
                    assert.strictEqual(dumps.find((r) => r.env["DATABASE_NAME"] === db.name)?.kind, db.runner, `${db.name} is dumped by its runner`);
                }
                const exported = config.aws.databases.filter((d) => d.exportTables.length > 0 && config.schedules.export !== undefined);
                assert.strictEqual(all.filter((r) => r.env["POWERTOOLS_SERVICE_NAME"] === "pg-backup-export").length, exported.length);
                const verifiers = all.filter((r) => r.env["POWERTOOLS_SERVICE_NAME"] === "pg-backup-verify");
                const verifiedNames = verifiers.flatMap((r) => (r.env["VERIFY_DATABASES"] ?? "").split(","));
                assert.deepStrictEqual(verifiedNames.sort(), config.aws.databases.filter((d) => d.verify).map((d) => d.name).sort());
                if (config.functions.verification.credentialsSecretArn === undefined) {
                    for (const v of verifiers) {
                        const db = config.aws.databases.find((d) => d.name === v.env["VERIFY_DATABASES"]);
                        assert.strictEqual(v.kind, db?.runner, `${db?.name} is verified by its runner`);
                    }
                }
                for (const run of all) {
                    assert.ok(!Object.keys(run.env).some((k) => /PASSWORD|URL/.test(k)), "no credential in a run's environment");
                }
                const schedules = mocks.ofType("aws:scheduler/schedule:Schedule");
                assert.strictEqual(schedules.length, all.length, "every function and task runs on a schedule");
                assert.ok(schedules.every((sch) => typeof sch.inputs["target"]?.["deadLetterConfig"]?.["arn"] === "string"), "every schedule has a dead-letter queue");
                const fargate = schedules.filter((sch) => sch.inputs["target"]?.["ecsParameters"] !== undefined);
                assert.strictEqual(fargate.length, all.filter((r) => r.kind === "fargate").length);
                assert.ok(fargate.every((sch) => sch.inputs["target"]["ecsParameters"]["launchType"] === "FARGATE" && sch.inputs["target"]["ecsParameters"]["networkConfiguration"]["assignPublicIp"] === false));
                assert.ok(mocks.ofType("aws:ecs/cluster:Cluster").length <= 1, "one cluster for the stack's tasks");
                const alarms = mocks.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => String(a.inputs["name"]));
                for (const run of all.filter((r) => r.kind === "fargate")) {
                    assert.ok(alarms.some((name) => name.includes(run.name.replace(/-task$/, "").replace(/^[^-]+-/, "")) && name.includes("dead-letters")), `${run.name}: its dead-letter queue is alarmed`);
                }
            });

            it("gives verification the planned maximum backup age, not the RPO under another name", () => {
                const fns = mocks.ofType("aws:lambda/function:Function");
                const env = (r: (typeof fns)[number]) => (r.inputs["environment"]?.["variables"] ?? {}) as Record<string, string>;
                for (const verify of fns.filter((r) => env(r)["POWERTOOLS_SERVICE_NAME"] === "pg-backup-verify")) {
                    assert.strictEqual(env(verify)["VERIFY_MAX_BACKUP_AGE_MINUTES"], String(backupMaxAgeMinutes(config)));
                    assert.strictEqual(env(verify)["RPO_MINUTES"], undefined);
                }
            });

            itAws("locks every dump for its tier's keep days when the bucket has Object Lock, the replica locked too; no function turns checksums off", () => {
                const all = runs();
                const lock = config.storage.objectLock;
                for (const dump of all.filter((r) => r.env["POWERTOOLS_SERVICE_NAME"] === "pg-backup-dump")) {
                    const e = dump.env;
                    const expected = lock?.mode === undefined || lock.days === undefined ? [undefined, undefined, undefined, undefined]
                        : [lock.mode, String(config.retention.daily.keepDays), String(config.retention.weekly.keepDays), String(config.retention.monthly.keepDays)];
                    assert.deepStrictEqual([e["OBJECT_LOCK_MODE"], e["RETAIN_DAYS_DAILY"], e["RETAIN_DAYS_WEEKLY"], e["RETAIN_DAYS_MONTHLY"]], expected);
                }
                for (const run of all) assert.deepStrictEqual(Object.keys(run.env).filter((k) => /CHECKSUM/.test(k)), [], "the SDK's checksums stay on");
                if (lock?.mode !== undefined && config.storage.replication) {
                    const buckets = mocks.ofType("aws:s3/bucket:Bucket").filter((b) => b.name === "backups-bucket" || b.name === "backups-dr-bucket");
                    assert.deepStrictEqual(buckets.map((b) => b.inputs["objectLockEnabled"]), [true, true], "Object Lock on the source and on the replica, so replication carries each version's retention");
                }
            });

            itAws("alarms to the alert topic and a dashboard", () => {
                const alarms = mocks.ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
                assert.ok(alarms.length >= 4 * config.aws.databases.length);
                assert.ok(alarms.every((a) => Array.isArray(a.inputs["alarmActions"]) && a.inputs["alarmActions"].length === 1));
                assert.ok(alarms.some((a) => String(a.inputs["name"] ?? a.name).includes("backup-missing")));
                assert.strictEqual(mocks.ofType("aws:cloudwatch/dashboard:Dashboard").length, 1);
            });

            it("counts a backup missing after the allowed age plus that database's own dump time (Lambda's timeout, or a Fargate dump's estimate)", () => {
                config.aws.databases.forEach((db, i) => {
                    const alarm = mocks.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").find((a) => a.inputs["name"] === `pg-backup-${path.basename(file).replace(/^Pulumi\.|\.yaml$/g, "")}-${db.name}-backup-missing`);
                    const expected = backupMaxAgeMinutes(config) * 60 + dumpReportSeconds(config, db, i);
                    if (expected > 7 * 86_400) return assert.strictEqual(alarm, undefined, `${db.name}: no alarm beyond CloudWatch's 7 days`);
                    assert.ok(alarm, `${db.name}: missing-backup alarm`);
                    const window = (alarm.inputs["period"] as number) * (alarm.inputs["evaluationPeriods"] as number);
                    // the window is the expected wait rounded up to the alarm's period, never shorter
                    assert.ok(window >= expected && window - expected < (alarm.inputs["period"] as number), `${db.name}: window ${window} s for an expected ${expected} s`);
                    if (db.runner === "lambda") assert.strictEqual(dumpReportSeconds(config, db, i), config.functions.dump.timeoutSeconds);
                });
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

            it("encrypts the Azure storage with the stack's Key Vault key and keeps the servers in the Backup vault, as configured", () => {
                const azure = config.azure;
                const vaults = mocks.ofType("azure-native:keyvault:Vault");
                assert.strictEqual(vaults.length, azure?.keyVault !== undefined ? 1 : 0);
                for (const v of vaults) {
                    assert.deepStrictEqual([v.inputs["properties"]["enablePurgeProtection"], v.inputs["properties"]["enableRbacAuthorization"]], [true, true]);
                }
                const account = mocks.ofType("azure-native:storage:StorageAccount")[0];
                if (account !== undefined) {
                    assert.strictEqual(account.inputs["encryption"]?.["keySource"], azure?.keyVault !== undefined ? "Microsoft.Keyvault" : undefined);
                }
                const backups = mocks.ofType("azure-native:storage:BlobContainer").find((c) => c.inputs["containerName"] === "backups");
                if (backups !== undefined) {
                    assert.strictEqual(backups.inputs["immutableStorageWithVersioning"]?.["enabled"], azure?.storage?.versionLevelImmutability === true ? true : undefined);
                }
                const protectedServers = azure?.backupVault !== undefined ? azure.servers.length : 0;
                assert.strictEqual(mocks.ofType("azure-native:dataprotection:BackupVault").length, protectedServers > 0 ? 1 : 0);
                assert.strictEqual(mocks.ofType("azure-native:dataprotection:BackupInstance").length, protectedServers);
            });

            it("parents every resource to a component or declares it at the top level on purpose", () => {
                const topLevel = mocks.resources.filter((r) => r.parent === undefined && !r.type.startsWith("pulumi:providers:")).map((r) => `${r.type}::${r.name}`);
                const components = topLevel.filter((t) => t.startsWith("pg-backup-stack:"));
                assert.deepStrictEqual(topLevel, components, "only components sit at the top level");
            });
        });
    }
});

describe("prod's orders database runs on Fargate (under mocks)", () => {
    let mocks: MockState;
    let config: StackConfig;
    before(async () => {
        ({ mocks, config } = await deployUnderMocks(path.join(path.resolve(__dirname, "..", "..", ".."), "Pulumi.prod.yaml")));
    });

    it("declares a Fargate runner, and no Lambda function, for its dump and its verification; its export stays on Lambda", () => {
        const runners = mocks.ofType("pg-backup-stack:aws:FargateRunner").map((r) => r.name).sort();
        assert.deepStrictEqual(runners, ["pg-backup-prod-dump-orders", "pg-backup-prod-verify-orders"]);
        assert.deepStrictEqual(mocks.ofType("aws:lambda/function:Function").map((r) => r.inputs["name"]), ["pg-backup-prod-export-orders"]);
    });

    it("sizes the tasks from functions.fargate and shares one cluster", () => {
        const tasks = mocks.ofType("aws:ecs/taskDefinition:TaskDefinition");
        assert.strictEqual(tasks.length, 2);
        for (const task of tasks) {
            assert.deepStrictEqual([task.inputs["cpu"], task.inputs["memory"], task.inputs["ephemeralStorage"]], ["2048", "8192", { sizeInGib: 200 }]);
        }
        assert.strictEqual(mocks.ofType("aws:ecs/cluster:Cluster").length, 1);
        const targets = mocks.ofType("aws:scheduler/schedule:Schedule").filter((s) => s.inputs["target"]?.["ecsParameters"] !== undefined).map((s) => s.inputs["target"]["arn"]);
        assert.strictEqual(targets.length, 2);
        assert.strictEqual(new Set(targets).size, 1, "both schedules target the one cluster");
    });

    it("alarms on both runners' dead-letter queues and on their tasks that stop without succeeding", () => {
        const alarms = mocks.ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
        const names = alarms.map((a) => String(a.inputs["name"]));
        for (const runner of ["dump-orders", "verify-orders"]) {
            assert.ok(names.includes(`pg-backup-prod-${runner}-dead-letters`), names.join(", "));
            const failed = alarms.find((a) => a.inputs["name"] === `pg-backup-prod-${runner}-task-failed`);
            assert.deepStrictEqual(failed?.inputs["dimensions"], { RuleName: `pg-backup-prod-${runner}-task-failed` });
        }
        assert.deepStrictEqual(mocks.ofType("aws:cloudwatch/eventRule:EventRule").map((r) => r.inputs["name"]).sort(), ["pg-backup-prod-dump-orders-task-failed", "pg-backup-prod-verify-orders-task-failed"]);
        assert.ok(!names.includes("pg-backup-prod-dump-orders-errors"), "no Lambda errors alarm for a task");
    });

    it("shows both runners on the dashboard, the dump runner with the duration the missing-backup alarm allows", () => {
        const body = String(mocks.ofType("aws:cloudwatch/dashboard:Dashboard")[0]?.inputs["dashboardBody"]);
        const widgets = (JSON.parse(body) as { widgets: { properties: Record<string, unknown> }[] }).widgets;
        const titles = widgets.map((w) => String(w.properties["title"]));
        assert.ok(titles.includes("dump-orders: Fargate tasks failed, runs not started") && titles.includes("verify-orders: Fargate tasks failed, runs not started"), titles.join(", "));
        const duration = widgets.find((w) => w.properties["title"] === "dump-orders: dump duration (s) vs expected");
        assert.deepStrictEqual(duration?.properties["annotations"], { horizontal: [{ label: "expected (missing-backup alarm)", value: dumpReportSeconds(config, config.aws.databases[0]!, 0) }] });
    });

    it("waits for the orders dump's estimate (1000 GB at 25 MB/s plus the start-up margin), not Lambda's 900 s, before counting its backup missing", () => {
        const alarm = mocks.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").find((a) => a.inputs["name"] === "pg-backup-prod-orders-backup-missing");
        const period = alarm?.inputs["period"] as number;
        const beyondAge = period * (alarm?.inputs["evaluationPeriods"] as number) - backupMaxAgeMinutes(config) * 60;
        assert.ok(beyondAge >= 40_300 && beyondAge < 40_300 + period, `${beyondAge} s beyond the allowed age`);
        assert.match(String(alarm?.inputs["alarmDescription"]), /allowed age plus the dump/);
    });
});
