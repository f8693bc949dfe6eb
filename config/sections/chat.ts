import { z } from "zod";
import { CHAT_ID_FORMATS, type ChatIdKind } from "../../components/aws/documents/chatChannels";

/** A string in one of the chat ID formats; the error names the format expected. */
const chatId = (kind: ChatIdKind) => z.string().regex(CHAT_ID_FORMATS[kind].pattern, { message: `must be ${CHAT_ID_FORMATS[kind].expected}` });

/** A Slack channel that receives the alerts through Amazon Q Developer in chat applications (AWS Chatbot). */
export const slackChannelSchema = z.strictObject({
    /** Slack workspace ID (T followed by letters and digits). */
    workspaceId: chatId("slackWorkspaceId"),
    /** Slack channel ID (C or G followed by letters and digits). */
    channelId: chatId("slackChannelId"),
});

/** A Microsoft Teams channel that receives the alerts through Amazon Q Developer in chat applications (AWS Chatbot). */
export const teamsChannelSchema = z.strictObject({
    /** Microsoft Teams team ID (a GUID). */
    teamId: chatId("teamsTeamId"),
    /** Microsoft Teams channel ID (`19:<id>@thread.tacv2`), from the channel's link. */
    channelId: chatId("teamsChannelId"),
    /** Microsoft Entra tenant ID of the team (a GUID). */
    tenantId: chatId("teamsTenantId"),
});
