import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import {
    chatbotAssumeRolePolicy,
    chatbotNotificationsPolicy,
    chatGuardrailPolicyArns,
    chatIdProblem,
    teamsChannelIdForApi,
} from "./documents/chatChannels";
import { policyJson } from "./documents/policyDocument";

/** A Slack channel in a workspace already authorised in the chat service's console. */
export interface SlackChannel {
    /** Workspace (team) ID, `T0123ABCD`: the console shows it once the workspace is authorised. */
    readonly workspaceId: string;
    /** Channel ID, `C0123ABCD`: the end of the channel's link. */
    readonly channelId: string;
}

/** A Microsoft Teams channel of a team already authorised in the chat service's console. */
export interface TeamsChannel {
    /** Team ID (a GUID), shown in the console once the team is authorised. */
    readonly teamId: string;
    /** Channel ID from the channel's link, `19:...@thread.tacv2` (plain or URL-encoded). */
    readonly channelId: string;
    /** Microsoft Entra tenant ID (a GUID). */
    readonly tenantId: string;
}

export interface ChatChannelsArgs {
    /** ARNs of the SNS topics whose messages reach every channel. Required. */
    readonly topicArns: readonly pulumi.Input<string>[];
    /**
     * Slack channels.
     * @default []
     */
    readonly slack?: readonly SlackChannel[];
    /**
     * Microsoft Teams channels.
     * @default []
     */
    readonly teams?: readonly TeamsChannel[];
    /**
     * Prefix of the configuration names, which must be unique in the account.
     * @default the stack name
     */
    readonly namePrefix?: string;
    /**
     * Guardrail policies: the most any channel member may do.
     * @default ["arn:<partition>:iam::aws:policy/CloudWatchReadOnlyAccess"]
     */
    readonly guardrailPolicyArns?: readonly pulumi.Input<string>[];
    /**
     * What the service logs to CloudWatch Logs: ERROR, INFO or NONE.
     * @default "ERROR"
     */
    readonly loggingLevel?: "ERROR" | "INFO" | "NONE";
    /**
     * Tags of the role and the configurations.
     * @default {}
     */
    readonly tags?: Readonly<Record<string, string>>;
}

type ResolvedArgs = Required<Omit<ChatChannelsArgs, "guardrailPolicyArns">> & Pick<ChatChannelsArgs, "guardrailPolicyArns">;

function withDefaults(args: ChatChannelsArgs): ResolvedArgs {
    return {
        topicArns: args.topicArns,
        slack: args.slack ?? [],
        teams: args.teams ?? [],
        namePrefix: args.namePrefix ?? pulumi.getStack(),
        ...(args.guardrailPolicyArns !== undefined ? { guardrailPolicyArns: args.guardrailPolicyArns } : {}),
        loggingLevel: args.loggingLevel ?? "ERROR",
        tags: args.tags ?? {},
    };
}

/** A configuration name: letters, digits, `-` and `_`, at most 128 characters (the service's rule). */
const CONFIGURATION_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Slack and Microsoft Teams channels that receive the alert topics' messages through Amazon Q
 * Developer in chat applications (AWS Chatbot), beside the topics' email and webhook
 * subscriptions. One channel role for all of them, trusted by the chat service only, with the
 * guide's notification permissions (read CloudWatch alarms to render them) and a read-only
 * guardrail, so that nobody in a channel can change anything through it.
 *
 * The workspace or team must have been authorised once in the service's console: that OAuth
 * step cannot be done through the API, so no program can do it.
 */
export class ChatChannels extends pulumi.ComponentResource {
    /** ARN of the channel role. */
    public readonly roleArn: pulumi.Output<string>;
    /** ARNs of the channel configurations, Slack first, then Teams. */
    public readonly configurationArns: pulumi.Output<string[]>;

    constructor(name: string, args: ChatChannelsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:aws:ChatChannels", name, {}, opts);
        const a = withDefaults(args);
        const slackChannels = a.slack.map((c) => ({ ...c, configurationName: `${a.namePrefix}-${name}-slack-${c.channelId}` }));
        const teamsChannels = a.teams.map((c, i) => ({ ...c, index: i, configurationName: `${a.namePrefix}-${name}-teams-${i}` }));
        this.validate(a, [...slackChannels, ...teamsChannels].map((c) => c.configurationName));

        const role = new aws.iam.Role(`${name}-role`, {
            description: `Chat channels of ${name}: notifications only`,
            assumeRolePolicy: policyJson(chatbotAssumeRolePolicy()),
            tags: { ...a.tags },
        }, { parent: this });
        const rolePolicy = new aws.iam.RolePolicy(`${name}-role-notifications`, {
            role: role.name,
            policy: policyJson(chatbotNotificationsPolicy()),
        }, { parent: this });
        const guardrails = a.guardrailPolicyArns !== undefined
            ? pulumi.all([...a.guardrailPolicyArns])
            : aws.getPartitionOutput({}, { parent: this }).partition.apply(chatGuardrailPolicyArns);
        const common = {
            iamRoleArn: role.arn,
            snsTopicArns: pulumi.all([...a.topicArns]),
            guardrailPolicyArns: guardrails,
            loggingLevel: a.loggingLevel,
            userAuthorizationRequired: false,
            tags: { ...a.tags },
        };
        const after = { parent: this, dependsOn: [rolePolicy] };
        const slack = slackChannels.map((c) => new aws.chatbot.SlackChannelConfiguration(`${name}-slack-${c.channelId}`, {
            ...common,
            configurationName: c.configurationName,
            slackTeamId: c.workspaceId,
            slackChannelId: c.channelId,
        }, after));
        const teams = teamsChannels.map((c) => new aws.chatbot.TeamsChannelConfiguration(`${name}-teams-${c.index}`, {
            ...common,
            configurationName: c.configurationName,
            teamId: c.teamId,
            tenantId: c.tenantId,
            channelId: teamsChannelIdForApi(c.channelId),
        }, after));

        this.roleArn = role.arn;
        this.configurationArns = pulumi.all([...slack.map((s) => s.chatConfigurationArn), ...teams.map((t) => t.chatConfigurationArn)]);
        this.registerOutputs({ roleArn: this.roleArn, configurationArns: this.configurationArns });
    }

    private validate(a: ResolvedArgs, configurationNames: readonly string[]): void {
        const fail = (message: string): never => {
            throw new pulumi.ResourceError(message, this);
        };
        if (a.slack.length + a.teams.length === 0) fail("slack, teams: both empty; give at least one channel");
        if (a.topicArns.length === 0) fail("topicArns: [] must name at least one SNS topic");
        const problems = [
            ...a.slack.flatMap((c, i) => [chatIdProblem("slackWorkspaceId", `slack[${i}].workspaceId`, c.workspaceId), chatIdProblem("slackChannelId", `slack[${i}].channelId`, c.channelId)]),
            ...a.teams.flatMap((c, i) => [
                chatIdProblem("teamsTeamId", `teams[${i}].teamId`, c.teamId),
                chatIdProblem("teamsChannelId", `teams[${i}].channelId`, c.channelId),
                chatIdProblem("teamsTenantId", `teams[${i}].tenantId`, c.tenantId),
            ]),
        ].filter((p): p is string => p !== undefined);
        if (problems.length > 0) fail(problems.join("; "));
        for (const configurationName of configurationNames) {
            if (!CONFIGURATION_NAME.test(configurationName)) {
                fail(`namePrefix: "${a.namePrefix}" makes the configuration name "${configurationName}", which is not 1-128 letters, digits, '-' or '_'`);
            }
        }
        const duplicate = a.slack.map((c) => c.channelId).find((id, i, all) => all.indexOf(id) !== i);
        if (duplicate !== undefined) fail(`slack: channel "${duplicate}" is listed twice`);
    }
}
