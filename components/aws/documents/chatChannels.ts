import { type PolicyDocument, policyDocument } from "./policyDocument";

/**
 * Formats of the chat IDs Amazon Q Developer in chat applications (AWS Chatbot) accepts, as its
 * API reference states them (SlackChannelConfiguration, TeamsChannelConfiguration:
 * https://docs.aws.amazon.com/chatbot/latest/APIReference/API_TeamsChannelConfiguration.html), each
 * with the words an error message uses for it.
 */
export const CHAT_ID_FORMATS = {
    /** Slack workspace (team) ID: `T` and upper-case letters and digits, e.g. `T0123ABCD`. */
    slackWorkspaceId: { pattern: /^T[A-Z0-9]{6,14}$/, expected: "a Slack workspace ID: T followed by 6-14 upper-case letters or digits, e.g. T0123ABCD" },
    /** Slack channel ID: `C` (public) or `G` (private) and upper-case letters and digits, e.g. `C0123ABCD`. */
    slackChannelId: { pattern: /^[CG][A-Z0-9]{6,14}$/, expected: "a Slack channel ID: C (or G) followed by 6-14 upper-case letters or digits, e.g. C0123ABCD" },
    /** Microsoft Teams team (group) ID and tenant ID: GUIDs. */
    teamsTeamId: { pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, expected: "a Microsoft Teams team ID: a GUID, e.g. 74361522-da01-538d-aa2e-ac7918c6bb92" },
    teamsTenantId: { pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, expected: "a Microsoft Entra tenant ID: a GUID" },
    /** Teams channel ID as the channel's link shows it, plain (`19:...@thread.tacv2`) or URL-encoded (`19%3a...%40thread.tacv2`). */
    teamsChannelId: {
        pattern: /^19(:|%3[aA])[A-Za-z0-9_=+\-.]+(@|%40)thread\.[a-z0-9]+$/,
        expected: "a Microsoft Teams channel ID: 19:<id>@thread.tacv2 (or URL-encoded, 19%3a<id>%40thread.tacv2), from the channel's link",
    },
} as const;

export type ChatIdKind = keyof typeof CHAT_ID_FORMATS;

/** `key: "value" is not <expected>` when `value` does not have the format of `kind`, else undefined. */
export function chatIdProblem(kind: ChatIdKind, key: string, value: string): string | undefined {
    const format = CHAT_ID_FORMATS[kind];
    return format.pattern.test(value) ? undefined : `${key}: ${JSON.stringify(value)} is not ${format.expected}`;
}

/**
 * A Teams channel ID in the URL-encoded form the Chatbot API requires (its pattern wants `%3a`
 * and `%40`): the plain form of the channel's link is encoded, an encoded one kept.
 */
export function teamsChannelIdForApi(channelId: string): string {
    return channelId.includes("%") ? channelId : encodeURIComponent(channelId);
}

/** Trust policy of the channel role: only the chat service assumes it. */
export function chatbotAssumeRolePolicy(): PolicyDocument {
    return policyDocument([{ Sid: "ChatbotAssumesRole", Effect: "Allow", Principal: { Service: ["chatbot.amazonaws.com"] }, Action: ["sts:AssumeRole"] }]);
}

/**
 * The channel role's permissions: the "Notification permissions" template of the Amazon Q
 * Developer in chat applications Administrator Guide ("IAM policies for AWS Chatbot",
 * https://docs.aws.amazon.com/chatbot/latest/adminguide/chatbot-iam-policies.html), enough to
 * render CloudWatch alarm notifications with their graphs and nothing more. CloudWatch's read
 * actions do not support resource-level permissions, hence `*`.
 */
export function chatbotNotificationsPolicy(): PolicyDocument {
    return policyDocument([{
        Sid: "ReadAlarmsForNotifications",
        Effect: "Allow",
        Action: ["cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*"],
        Resource: ["*"],
    }]);
}

/**
 * Guardrail of the channels: the most a channel member can do, whatever their role
 * (https://docs.aws.amazon.com/chatbot/latest/adminguide/understanding-permissions.html). Without
 * one the service applies AdministratorAccess; CloudWatchReadOnlyAccess is the narrowest managed
 * policy the guide lists for chat channels.
 */
export function chatGuardrailPolicyArns(partition: string): string[] {
    return [`arn:${partition}:iam::aws:policy/CloudWatchReadOnlyAccess`];
}
