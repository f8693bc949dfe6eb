/** Rules of the Azure stack as a whole: what an Azure-only stack may not declare, no AWS function for an Azure server, and alert receivers. */
import type { Rule } from "../../findings";
import { error, warning } from "../../findings";
import { SERVER_HOST_SUFFIX } from "../../../components/azure/documents/flexibleServer";
import { isProd } from "./shared";

/**
 * An Azure server cannot be backed up by AWS functions: Lambda and Fargate get no Azure
 * credential, so the verify cannot list the server's backups, the dumps cannot reach the Blob
 * container, and the database credential cannot come from Key Vault. Its jobs run on the Azure
 * runner instead.
 */
export const noAwsFunctionsForAzureServers: Rule = (config) =>
    config.aws.databases.flatMap((db, j) => db.host === undefined || !db.host.endsWith(SERVER_HOST_SUFFIX) ? [] : [
        error(`aws.databases[${j}].host`, db.host,
            `is an Azure Database for PostgreSQL server, but aws.databases run as AWS Lambda functions or Fargate tasks, which no ` +
            `Azure credential reaches (no managed identity, no Key Vault, no Blob access): remove ${db.name} from aws.databases, ` +
            `declare the server under azure.servers and run its dump, export and verify with the Azure runner (azure.runner; docs/azure.md)`),
    ]);

/** A stack without `regions` is Azure-only: it must declare Azure, and nothing that only AWS can run. */
export const azureOnlyStackComplete: Rule = (config) => {
    if (config.regions !== undefined) return [];
    if (config.azure === undefined) {
        return [error("regions", undefined, "is required (primary and dr AWS regions) unless the stack is Azure-only, which needs azure")];
    }
    const declared = [
        ...(config.aws.databases.length > 0 ? ["aws.databases"] : []),
        ...(config.aws.network !== undefined ? ["aws.network"] : []),
        ...(config.aws.backup.fileBuckets.length > 0 ? ["aws.backup.fileBuckets"] : []),
        ...(config.alerts.slack.length > 0 ? ["alerts.slack"] : []),
        ...(config.alerts.teams.length > 0 ? ["alerts.teams"] : []),
    ];
    return declared.length === 0 ? [] : [error("regions", undefined,
        `is required: ${declared.join(", ")} declare${declared.length === 1 ? "s" : ""} AWS resources (Slack and Teams are reached through AWS Chatbot); ` +
        "without regions the stack is Azure-only: remove them, or give regions")];
};

/** Azure alerts need somebody to notify: an error in prod, a warning elsewhere. */
export const azureAlertsHaveReceivers: Rule = (config) => {
    const azure = config.azure;
    if (azure === undefined || (azure.servers.length === 0 && azure.storage === undefined)) return [];
    if (config.alerts.emails.length + config.alerts.webhookUrls.length > 0) return [];
    const message = "is empty and so is alerts.webhookUrls: the Azure alerts (server down, storage full, backup storage) would notify nobody";
    return [isProd(config) ? error("alerts.emails", [], message) : warning("alerts.emails", [], message)];
};
