import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { childrenOf, MockState, settle, setupMocks, unwrap } from "../../../helpers/mocks";
import { emailSubscriptionSuffix } from "../../../../components/aws/documents/alerts";

const COMPONENT = "pg-backup-stack:aws:AlertTopic";
const TOPIC = "aws:sns/topic:Topic";
const POLICY = "aws:sns/topicPolicy:TopicPolicy";
const SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/primary";
const HOOK = "https://hooks.example.com/services/T000/B000/secret-token";
/** How the engine receives a secret value: Pulumi's special signature key and its secret marker. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270";

describe("AlertTopic (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/aws/alertTopic");

    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/aws/alertTopic");
    });

    it("KMS-encrypted topics: CloudWatch publishes alarms for this account only, AWS Backup publishes job notifications", async () => {
        // given a topic with the default publishers
        const alerts = new mod.AlertTopic("alerts", { kmsKeyArn: KEY });
        await settle(mocks);
        // when the topic and its policy are inspected
        const topic = mocks.one(TOPIC, "alerts-topic").inputs;
        const policy = JSON.parse(mocks.one(POLICY, "alerts-policy").inputs["policy"] as string) as {
            Statement: { Sid: string; Principal: unknown; Condition?: unknown; Resource: string }[];
        };
        // then the topic is encrypted with the key and the policy is bound to its ARN and account
        assert.strictEqual(topic["kmsMasterKeyId"], KEY);
        const arn = await unwrap(alerts.topicArn);
        assert.strictEqual(mocks.one(POLICY, "alerts-policy").inputs["arn"], arn);
        const publishers = (p: typeof policy) => p.Statement.filter((s) => s.Sid.endsWith("Publishes")).map((s) => [s.Principal, s.Condition]);
        assert.deepStrictEqual(publishers(policy), [[{ Service: "cloudwatch.amazonaws.com" }, { ArnLike: { "aws:SourceArn": arn.replace(/^arn:aws:sns:([^:]+):(\d+):.*$/, "arn:aws:cloudwatch:$1:$2:alarm:*") } }]]);
        assert.ok(policy.Statement.every((s) => s.Resource === arn));
        // and the job topic admits AWS Backup alone, with the policy its guide documents (no source condition)
        const jobs = JSON.parse(mocks.one(POLICY, "alerts-jobs-policy").inputs["policy"] as string) as typeof policy;
        assert.deepStrictEqual(publishers(jobs), [[{ Service: "backup.amazonaws.com" }, undefined]]);
    });

    it("one email subscription per distinct address on each topic; only the job topic's are filtered to failures", async () => {
        // given two addresses, one repeated in another case
        new mod.AlertTopic("alerts", { kmsKeyArn: KEY, emails: ["oncall@example.com", "DBA@example.com", "Oncall@Example.com"] });
        await settle(mocks);
        // when the subscriptions are inspected
        const subs = mocks.ofType(SUBSCRIPTION);
        const suffixes = [emailSubscriptionSuffix("dba@example.com"), emailSubscriptionSuffix("oncall@example.com")];
        // then two email subscriptions per topic, each named by its address's suffix
        assert.deepStrictEqual(subs.map((s) => s.name).sort(), [
            ...suffixes.map((x) => `alerts-email-${x}`),
            ...suffixes.map((x) => `alerts-jobs-email-${x}`),
        ].sort());
        for (const s of subs) assert.strictEqual(s.inputs["protocol"], "email");
        // and the alarm topic's take every message (alarm notifications carry no message
        // attributes, which an attribute filter never matches), the job topic's only failures
        for (const s of subs.filter((x) => x.name.startsWith("alerts-email-"))) {
            assert.strictEqual(s.inputs["filterPolicy"], undefined);
        }
        for (const s of subs.filter((x) => x.name.startsWith("alerts-jobs-email-"))) {
            assert.strictEqual(s.inputs["filterPolicyScope"], "MessageAttributes");
            assert.match(s.inputs["filterPolicy"] as string, /anything-but/);
        }
        assert.deepStrictEqual([...new Set(subs.map((s) => s.inputs["endpoint"]))].sort(), ["dba@example.com", "oncall@example.com"]);
    });

    it("webhook subscriptions are HTTPS and their URLs stay secret, even when given in plain text", async () => {
        // given one webhook URL that arrives as a secret and one that does not
        const alerts = new mod.AlertTopic("alerts", { kmsKeyArn: KEY, webhookUrls: [pulumi.secret(HOOK), HOOK] });
        await settle(mocks);
        // when the subscription is inspected
        const sub = mocks.one(SUBSCRIPTION, "alerts-webhook-0");
        // then it delivers over HTTPS to the URL, which the engine receives marked secret
        assert.strictEqual(sub.inputs["protocol"], "https");
        assert.deepStrictEqual(sub.inputs["endpoint"], { [SECRET_SIG]: SECRET_MARK, value: HOOK });
        // and the component's outputs do not carry it
        assert.deepStrictEqual(mocks.one(SUBSCRIPTION, "alerts-webhook-1").inputs["endpoint"], { [SECRET_SIG]: SECRET_MARK, value: HOOK });
        const outputs = JSON.stringify([await unwrap(alerts.topicArn), await unwrap(alerts.topicName)]);
        assert.ok(!outputs.includes("secret-token"));
    });

    it("without the failure filter, subscriptions get every message", async () => {
        new mod.AlertTopic("all", { kmsKeyArn: KEY, emails: ["a@example.com"], onlyFailedJobs: false });
        await settle(mocks);
        assert.strictEqual(mocks.ofType(SUBSCRIPTION).length, 2);
        assert.ok(mocks.ofType(SUBSCRIPTION).every((s) => s.inputs["filterPolicy"] === undefined));
    });

    it("every child is parented to the component", async () => {
        new mod.AlertTopic("kids", { kmsKeyArn: KEY, emails: ["a@example.com"], webhookUrls: [HOOK] });
        await settle(mocks);
        assert.deepStrictEqual(childrenOf(mocks, COMPONENT, "kids").sort(), ["kids", "kids-jobs"].flatMap((stem) => [
            `${SUBSCRIPTION}::${stem}-email-${emailSubscriptionSuffix("a@example.com")}`,
            `${SUBSCRIPTION}::${stem}-webhook-0`,
            `${POLICY}::${stem}-policy`,
            `${TOPIC}::${stem}-topic`,
        ]).sort());
    });

    describe("refuses bad arguments before creating anything", () => {
        const cases: [string, Record<string, unknown>, RegExp][] = [
            ["email", { emails: ["oncall"] }, /emails\[0\]: "oncall" is not an email address/],
            ["plain-HTTP webhook, value not shown", { webhookUrls: ["http://hooks.example.com/x-token"] }, /^(?!.*x-token).*webhookUrls\[0\]: \(secret\) is not an https:\/\/ URL/],
            ["no publishers", { publisherServices: [] }, /publisherServices: \[\] must name at least one service/],
            ["not a service principal", { publisherServices: ["arn:aws:iam::1:root"] }, /publisherServices: "arn:aws:iam::1:root" is not an AWS service principal/],
            ["a publisher without a documented policy", { jobPublisherServices: ["events.amazonaws.com"] }, /jobPublisherServices: "events.amazonaws.com" has no documented topic policy here/],
        ];
        for (const [what, bad, message] of cases) {
            it(what, async () => {
                assert.throws(() => new mod.AlertTopic(`bad-${what.replace(/\W+/g, "-")}`, { kmsKeyArn: KEY, ...bad }), message);
                await settle(mocks);
                assert.deepStrictEqual(mocks.resources.filter((r) => r.type.startsWith("aws:sns/")).map((r) => r.name), []);
            });
        }
    });
});
