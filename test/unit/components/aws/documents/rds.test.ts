import * as assert from "assert";
import * as fc from "fast-check";
import {
    engineMajor,
    finalSnapshotIdentifier,
    minMaxAllocatedStorageGb,
    parameterGroupFamily,
    rdsParameters,
    rdsTags,
    rdsWindowProblems,
    replicatesBackups,
    supportsPerformanceInsights,
} from "../../../../../components/aws/documents/rds";
import {
    ALARM_TOPIC_PUBLISHERS,
    JOB_TOPIC_PUBLISHERS,
    KNOWN_TOPIC_PUBLISHERS,
    alertFilterPolicy,
    alertTopicPolicy,
    emailSubscriptionSuffix,
} from "../../../../../components/aws/documents/alerts";

/** RDS snapshot identifier rules: letter first, letters/digits/single hyphens, no trailing hyphen, 1..255. */
const SNAPSHOT_ID = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,254}$/;

describe("RDS documents", () => {
    describe("engine versions", () => {
        const cases: [string, string | RegExp][] = [
            ["15", "postgres15"], ["15.7", "postgres15"], ["13", "postgres13"], ["17.2", "postgres17"],
            ["12", /engineVersion: "12" must be a PostgreSQL version with major 13, 14, 15, 16, 17/],
            ["18", /major 13, 14, 15, 16, 17/], ["fifteen", /"fifteen"/],
        ];
        for (const [version, expected] of cases) {
            it(`${version} -> ${String(expected)}`, () => {
                // given a version / when its family is derived / then family or a named refusal
                if (typeof expected === "string") assert.strictEqual(parameterGroupFamily(version), expected);
                else assert.throws(() => parameterGroupFamily(version), expected);
            });
        }
        it("engineMajor reads major and major.minor only", () => {
            assert.strictEqual(engineMajor("16.4"), 16);
            assert.strictEqual(engineMajor("16.4.1"), undefined);
        });
    });

    describe("rdsParameters", () => {
        it("requires TLS and sets the logging, sorted by name", () => {
            // given no slow-statement threshold / when built
            const params = rdsParameters({});
            // then force_ssl is on, the list is sorted, all apply immediately, no duration logging
            assert.deepStrictEqual(params.find((p) => p.name === "rds.force_ssl"), { name: "rds.force_ssl", value: "1", applyMethod: "immediate" });
            assert.deepStrictEqual(params.map((p) => p.name), [...params.map((p) => p.name)].sort());
            assert.ok(params.every((p) => p.applyMethod === "immediate"));
            assert.strictEqual(params.find((p) => p.name === "log_min_duration_statement"), undefined);
            assert.strictEqual(params.find((p) => p.name === "log_statement")?.value, "ddl");
        });

        it("adds log_min_duration_statement when given, and refuses a negative one", () => {
            assert.strictEqual(rdsParameters({ logMinDurationStatementMs: 500 }).find((p) => p.name === "log_min_duration_statement")?.value, "500");
            assert.throws(() => rdsParameters({ logMinDurationStatementMs: -1 }), /logMinDurationStatementMs: -1 must be a whole number of milliseconds/);
        });
    });

    describe("finalSnapshotIdentifier", () => {
        it("joins stem, 'final' and the suffix", () => {
            assert.strictEqual(finalSnapshotIdentifier("orders", "a1b2c3d4"), "orders-final-a1b2c3d4");
        });

        it("property: always a valid RDS snapshot identifier that keeps the suffix", () => {
            fc.assert(fc.property(fc.string({ maxLength: 300 }), fc.stringMatching(/^[0-9a-f]{8}$/), (stem, suffix) => {
                // given any stem and a hex suffix / when the identifier is built
                const id = finalSnapshotIdentifier(stem, suffix);
                // then RDS accepts it, and short stems keep the random suffix (uniqueness)
                return SNAPSHOT_ID.test(id) && (stem.length > 200 || id.endsWith(`final-${suffix}`));
            }));
        });

        it("property: different suffixes give different identifiers", () => {
            fc.assert(fc.property(fc.stringMatching(/^[a-z][a-z0-9-]{0,39}$/), fc.stringMatching(/^[0-9a-f]{8}$/), fc.stringMatching(/^[0-9a-f]{8}$/), (stem, a, b) =>
                a === b || finalSnapshotIdentifier(stem, a) !== finalSnapshotIdentifier(stem, b)));
        });
    });

    describe("storage, classes and tags", () => {
        it("the autoscaling maximum is at least 10 % above the allocation", () => {
            assert.strictEqual(minMaxAllocatedStorageGb(50), 55);
            assert.strictEqual(minMaxAllocatedStorageGb(21), 24);
        });

        it("property: the autoscaling minimum is the smallest whole GiB at least 10 % above", () => {
            fc.assert(fc.property(fc.integer({ min: 20, max: 65536 }), (gb) => {
                const min = minMaxAllocatedStorageGb(gb);
                return min * 10 >= gb * 11 && (min - 1) * 10 < gb * 11;
            }));
        });

        it("backups are replicated only when asked for and there are automated backups", () => {
            assert.deepStrictEqual(
                [[true, 7], [true, 0], [false, 7]].map(([r, d]) => replicatesBackups({ replicateBackupsToDr: r as boolean, backupRetentionDays: d as number })),
                [true, false, false],
            );
        });

        it("burstable micro and small classes have no Performance Insights", () => {
            assert.deepStrictEqual(
                ["db.t3.micro", "db.t4g.small", "db.t4g.medium", "db.m7g.large"].map(supportsPerformanceInsights),
                [false, false, true, true],
            );
        });

        it("the selection tag wins over a caller's tag of the same key; keys are sorted", () => {
            // given a caller tag that would take the instance out of the plan / when merged
            const tags = rdsTags({ team: "data", "backup-plan": "none" }, "orders", { key: "backup-plan", value: "pg-backup-stack" });
            // then the selection tag stands, the database tag is added, keys are sorted
            assert.deepStrictEqual(Object.entries(tags), [["backup-plan", "pg-backup-stack"], ["pg-backup-stack:database", "orders"], ["team", "data"]]);
        });
    });

    describe("rdsWindowProblems", () => {
        const cases: { backup: string; maintenance: string; problems: RegExp[] }[] = [
            { backup: "03:00-03:30", maintenance: "sun:05:00-sun:05:30", problems: [] },
            { backup: "3:00-3:30", maintenance: "sun:05:00-sun:05:30", problems: [/^backupWindow: "3:00-3:30" is not a window of the form hh24:mi-hh24:mi/] },
            { backup: "03:00-03:20", maintenance: "sun:05:00-sun:05:30", problems: [/^backupWindow: "03:00-03:20" is 20 minutes long; RDS needs at least 30/] },
            { backup: "03:00-03:30", maintenance: "sun:05:00-sun:05:10", problems: [/^maintenanceWindow: "sun:05:00-sun:05:10" is 10 minutes long/] },
            { backup: "04:50-05:20", maintenance: "sun:05:00-sun:05:30", problems: [/^maintenanceWindow: "sun:05:00-sun:05:30" overlaps backupWindow "04:50-05:20"/] },
            { backup: "23:45-00:15", maintenance: "mon:00:00-mon:00:30", problems: [/overlaps backupWindow "23:45-00:15"/] },
        ];
        for (const c of cases) {
            it(`${c.backup} / ${c.maintenance}: ${c.problems.length} problem(s)`, () => {
                // given two windows / when checked
                const problems = rdsWindowProblems(c.backup, c.maintenance);
                // then exactly the expected problems, each naming its argument
                assert.strictEqual(problems.length, c.problems.length, problems.join("; "));
                c.problems.forEach((re, i) => assert.match(problems[i] ?? "", re));
            });
        }
    });
});

describe("alert topic documents", () => {
    const topic = "arn:aws:sns:eu-west-1:123456789012:alerts";

    it("the account manages the topic; each service publishes with its documented policy; no publishing without TLS", () => {
        // given the topic, the account and both publishers / when the policy is built
        const doc = JSON.parse(alertTopicPolicy(topic, "123456789012", [...JOB_TOPIC_PUBLISHERS, ...ALARM_TOPIC_PUBLISHERS])) as {
            Statement: { Sid: string; Effect: string; Principal: unknown; Action: unknown; Resource: string; Condition?: unknown }[];
        };
        const bySid = new Map(doc.Statement.map((s) => [s.Sid, s]));
        // then
        assert.deepStrictEqual(bySid.get("AccountManagesTopic")?.Principal, { AWS: "arn:aws:iam::123456789012:root" });
        // CloudWatch for this account only; AWS Backup as its guide documents it, with no source condition
        assert.deepStrictEqual(bySid.get("CloudwatchPublishes")?.Principal, { Service: "cloudwatch.amazonaws.com" });
        assert.deepStrictEqual(bySid.get("CloudwatchPublishes")?.Condition, { ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*" } });
        assert.deepStrictEqual(bySid.get("BackupPublishes")?.Principal, { Service: "backup.amazonaws.com" });
        assert.strictEqual(bySid.get("BackupPublishes")?.Condition, undefined);
        const deny = bySid.get("DenyPublishWithoutTls");
        assert.strictEqual(deny?.Effect, "Deny");
        assert.deepStrictEqual(deny?.Condition, { Bool: { "aws:SecureTransport": "false" } });
        assert.ok(doc.Statement.every((s) => s.Resource === topic));
    });

    it("takes the partition from the topic ARN", () => {
        const doc = alertTopicPolicy("arn:aws-cn:sns:cn-north-1:123456789012:alerts", "123456789012", ["cloudwatch.amazonaws.com"]);
        assert.match(doc, /arn:aws-cn:iam::123456789012:root/);
        assert.match(doc, /arn:aws-cn:cloudwatch:cn-north-1:123456789012:alarm:\*/);
    });

    it("refuses a bad account id, an empty service list and a non-ARN topic", () => {
        assert.throws(() => alertTopicPolicy(topic, "1234", ALARM_TOPIC_PUBLISHERS), /accountId: "1234" is not a 12-digit/);
        assert.throws(() => alertTopicPolicy(topic, "123456789012", []), /at least one publishing service/);
        assert.throws(() => alertTopicPolicy("alerts", "123456789012", ALARM_TOPIC_PUBLISHERS), /topicArn: "alerts" is not an ARN/);
        assert.throws(() => alertTopicPolicy(topic, "123456789012", ["events.amazonaws.com"]), /services: events\.amazonaws\.com has no documented topic policy here/);
    });

    it("property: the policy does not depend on the order of the services", () => {
        fc.assert(fc.property(fc.shuffledSubarray([...KNOWN_TOPIC_PUBLISHERS], { minLength: 1 }), (services) =>
            alertTopicPolicy(topic, "123456789012", services) === alertTopicPolicy(topic, "123456789012", [...services].reverse())));
    });

    it("the filter lets through messages without State and those whose State is not COMPLETED", () => {
        assert.deepStrictEqual(JSON.parse(alertFilterPolicy()), {
            $or: [{ State: [{ exists: false }] }, { State: [{ "anything-but": ["COMPLETED"] }] }],
        });
    });

    it("email suffixes are stable, case-insensitive and distinct per address", () => {
        // given the same address in two spellings and another address / when suffixed
        // then the spellings agree and differ from the other address
        assert.strictEqual(emailSubscriptionSuffix("Oncall@Example.com "), emailSubscriptionSuffix("oncall@example.com"));
        assert.notStrictEqual(emailSubscriptionSuffix("oncall@example.com"), emailSubscriptionSuffix("dba@example.com"));
        assert.match(emailSubscriptionSuffix("oncall@example.com"), /^[0-9a-f]{8}$/);
    });
});
