import { z } from "zod";
import { CHAT_ID_FORMATS, type ChatIdKind } from "../../components/aws/documents/chatChannels";

/** A string in one of the chat ID formats; the error names the format expected. */
const chatId = (kind: ChatIdKind) => z.string().regex(CHAT_ID_FORMATS[kind].pattern, { message: `must be ${CHAT_ID_FORMATS[kind].expected}` });

/** A Slack channel that receives the alerts through Amazon Q Developer in chat applications (AWS Chatbot). */
export const slackChannelSchema = z.strictObject({
    workspaceId: chatId("slackWorkspaceId"),
    channelId: chatId("slackChannelId"),
});

/** A Microsoft Teams channel that receives the alerts through Amazon Q Developer in chat applications (AWS Chatbot). */
export const teamsChannelSchema = z.strictObject({
    teamId: chatId("teamsTeamId"),
    channelId: chatId("teamsChannelId"),
    tenantId: chatId("teamsTenantId"),
});
