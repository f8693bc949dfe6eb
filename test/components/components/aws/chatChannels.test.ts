import * as assert from "assert";
import * as path from "path";
import { fromPulumiConfig } from "../../../../config/load";
import { validateConfig } from "../../../../config/validate";
import { assertAllParented, MockState, policyOf, settle, setupMocks, unwrap } from "../../../helpers/mocks";
import { engineConfig, ROOT } from "../../../helpers/stackFiles";

const COMPONENT = "pg-backup-stack:aws:ChatChannels";
const SLACK = "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration";
const TEAMS = "aws:chatbot/teamsChannelConfiguration:TeamsChannelConfiguration";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ALARMS = "arn:aws:sns:eu-west-1:123456789012:alarms";
const JOBS = "arn:aws:sns:eu-west-1:123456789012:jobs";
const SLACK_CHANNEL = { workspaceId: "T0123ABCD", channelId: "C0123ABCD" };
const TEAMS_CHANNEL = {
    teamId: "74361522-da01-538d-aa2e-ac7918c6bb92",
    channelId: "19:b6ef35dc342d56ba5654e6fc6d25a071@thread.tacv2",
    tenantId: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
};

describe("ChatChannels (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/aws/chatChannels");

    beforeEach(async () => {
        mocks = setupMocks("pg-backup-stack", "prod");
        mod = await import("../../../../components/aws/chatChannels");
    });

    it("a Slack and a Teams channel, each subscribed to both topics, with one notifications-only role and a read-only guardrail", async () => {
        // given one channel of each kind on the alarm and job topics
        const chat = new mod.ChatChannels("alerts-chat", { topicArns: [ALARMS, JOBS], slack: [SLACK_CHANNEL], teams: [TEAMS_CHANNEL] });
        await settle(mocks);
        // when the configurations and the role are inspected
        const slack = mocks.one(SLACK, "alerts-chat-slack-C0123ABCD").inputs;
        const teams = mocks.one(TEAMS, "alerts-chat-teams-0").inputs;
        const role = mocks.one(ROLE, "alerts-chat-role");
        const roleArn = await unwrap(chat.roleArn);
        // then both reach both topics through the one role, with the guardrail set (the service would apply AdministratorAccess without it)
        for (const c of [slack, teams]) {
            assert.deepStrictEqual(c["snsTopicArns"], [ALARMS, JOBS]);
            assert.strictEqual(c["iamRoleArn"], roleArn);
            assert.deepStrictEqual(c["guardrailPolicyArns"], ["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"]);
            assert.strictEqual(c["loggingLevel"], "ERROR");
        }
        assert.deepStrictEqual([slack["slackTeamId"], slack["slackChannelId"], slack["configurationName"]], ["T0123ABCD", "C0123ABCD", "prod-alerts-chat-slack-C0123ABCD"]);
        // and the Teams channel ID goes to the API URL-encoded, as its pattern requires
        assert.deepStrictEqual([teams["teamId"], teams["tenantId"], teams["channelId"], teams["configurationName"]],
            [TEAMS_CHANNEL.teamId, TEAMS_CHANNEL.tenantId, "19%3Ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2", "prod-alerts-chat-teams-0"]);
        // and the role is for the chat service only and may read CloudWatch alarms, nothing else
        assert.deepStrictEqual(policyOf(role, "assumeRolePolicy").Statement.map((s) => [s.Principal, s.Action]), [[{ Service: ["chatbot.amazonaws.com"] }, ["sts:AssumeRole"]]]);
        const statements = policyOf(mocks.one(ROLE_POLICY, "alerts-chat-role-notifications")).Statement;
        assert.deepStrictEqual(statements.flatMap((s) => s.Action), ["cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*"]);
        assertAllParented(mocks, COMPONENT, "alerts-chat");
    });

    it("accepts a Teams channel ID already URL-encoded, and keeps it", async () => {
        // given
        new mod.ChatChannels("chat", { topicArns: [ALARMS], teams: [{ ...TEAMS_CHANNEL, channelId: "19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2" }] });
        await settle(mocks);
        // when / then
        assert.strictEqual(mocks.one(TEAMS, "chat-teams-0").inputs["channelId"], "19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2");
    });

    const refusals: [string, Partial<import("../../../../components/aws/chatChannels").ChatChannelsArgs>, RegExp][] = [
        ["a lower-case workspace ID", { slack: [{ ...SLACK_CHANNEL, workspaceId: "t0123abcd" }] }, /slack\[0\]\.workspaceId: "t0123abcd" is not a Slack workspace ID: T followed by/],
        ["a channel name instead of its ID", { slack: [{ ...SLACK_CHANNEL, channelId: "#backups" }] }, /slack\[0\]\.channelId: "#backups" is not a Slack channel ID: C \(or G\)/],
        ["a team name instead of its GUID", { teams: [{ ...TEAMS_CHANNEL, teamId: "Platform" }] }, /teams\[0\]\.teamId: "Platform" is not a Microsoft Teams team ID: a GUID/],
        ["a channel link instead of its ID", { teams: [{ ...TEAMS_CHANNEL, channelId: "https://teams.microsoft.com/l/channel/x" }] }, /teams\[0\]\.channelId: "https:\/\/teams\.microsoft\.com\/l\/channel\/x" is not a Microsoft Teams channel ID: 19:<id>@thread\.tacv2/],
        ["a tenant domain instead of its ID", { teams: [{ ...TEAMS_CHANNEL, tenantId: "example.onmicrosoft.com" }] }, /teams\[0\]\.tenantId: "example\.onmicrosoft\.com" is not a Microsoft Entra tenant ID/],
        ["no channel at all", {}, /slack, teams: both empty; give at least one channel/],
        ["a Slack channel listed twice", { slack: [SLACK_CHANNEL, SLACK_CHANNEL] }, /slack: channel "C0123ABCD" is listed twice/],
        ["a prefix that makes an invalid configuration name", { slack: [SLACK_CHANNEL], namePrefix: "team.prod" }, /namePrefix: "team\.prod" makes the configuration name "team\.prod-c-slack-C0123ABCD"/],
    ];
    for (const [what, bad, message] of refusals) {
        it(`refuses ${what}, naming the key, the value and the format`, () => {
            // given / when / then
            assert.throws(() => new mod.ChatChannels("c", { topicArns: [ALARMS], ...bad }), message);
        });
    }
});

describe("chat channels in the stack configuration", () => {
    const prod = path.join(ROOT, "Pulumi.prod.yaml");
    const withAlerts = (alerts: Record<string, unknown>) => {
        const config = engineConfig(prod).config;
        const current = JSON.parse(config["pg-backup-stack:alerts"] ?? "{}") as Record<string, unknown>;
        return fromPulumiConfig({ ...config, "pg-backup-stack:alerts": JSON.stringify({ ...current, ...alerts }) });
    };

    it("refuses malformed IDs, naming the key, the value and the expected format", () => {
        // given a Slack channel given by name and a Teams channel with a team name
        const raw = withAlerts({ slack: [{ workspaceId: "T0123ABCD", channelId: "backups" }], teams: [{ ...TEAMS_CHANNEL, teamId: "Platform" }] });
        // when
        const result = validateConfig(raw);
        // then
        assert.strictEqual(result.config, undefined);
        assert.deepStrictEqual(result.findings.map((f) => [f.path, f.value]), [["alerts.slack[0].channelId", "backups"], ["alerts.teams[0].teamId", "Platform"]]);
        assert.match(result.findings[0]?.message ?? "", /must be a Slack channel ID: C \(or G\) followed by 6-14 upper-case letters or digits, e\.g\. C0123ABCD/);
        assert.match(result.findings[1]?.message ?? "", /must be a Microsoft Teams team ID: a GUID/);
    });

    it("wires the configured channels to both alert topics of the stack", async () => {
        // given prod with a Slack and a Teams channel
        const mocks = setupMocks("pg-backup-stack", "prod");
        const result = validateConfig(withAlerts({ slack: [SLACK_CHANNEL], teams: [TEAMS_CHANNEL] }));
        assert.ok(result.config, result.findings.map((f) => `${f.path}: ${f.message}`).join("; "));
        const { deployStack } = await import("../../../../program/deploy");
        // when
        const outputs = deployStack(result.config);
        await unwrap(outputs.backupBucket);
        await settle(mocks);
        // then
        const topics = ["arn:aws:sns:eu-west-1:123456789012:alerts-topic", "arn:aws:sns:eu-west-1:123456789012:alerts-jobs-topic"];
        assert.deepStrictEqual(mocks.ofType(SLACK).map((c) => [c.name, c.inputs["snsTopicArns"]]), [["alerts-chat-slack-C0123ABCD", topics]]);
        assert.deepStrictEqual(mocks.ofType(TEAMS).map((c) => [c.name, c.inputs["snsTopicArns"]]), [["alerts-chat-teams-0", topics]]);
    });

    it("declares no chat resource for a stack without channels", async () => {
        // given prod as shipped
        const mocks = setupMocks("pg-backup-stack", "prod");
        const result = validateConfig(withAlerts({}));
        assert.ok(result.config);
        const { deployStack } = await import("../../../../program/deploy");
        // when
        await unwrap(deployStack(result.config).backupBucket);
        await settle(mocks);
        // then
        assert.deepStrictEqual(mocks.resources.filter((r) => r.type.startsWith("aws:chatbot/") || r.type === COMPONENT), []);
    });
});
