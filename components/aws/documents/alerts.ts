import { createHash } from "crypto";

/**
 * Alert topic documents: the topic policy and the subscriptions' filter. Pure functions of
 * plain values, deterministic JSON.
 */

/**
 * AWS services that publish to the alert topic: CloudWatch alarms, AWS Backup vault
 * notifications, EventBridge rules. Because the topic is KMS-encrypted, the key policy must let
 * each of them use the key (kms:GenerateDataKey*, kms:Decrypt).
 */
export const ALERT_PUBLISHER_SERVICES: readonly string[] = [
    "backup.amazonaws.com",
    "cloudwatch.amazonaws.com",
    "events.amazonaws.com",
];

/** What the owning account may do with the topic (the statement SNS would otherwise add itself). */
const OWNER_ACTIONS = [
    "SNS:AddPermission",
    "SNS:DeleteTopic",
    "SNS:GetTopicAttributes",
    "SNS:ListSubscriptionsByTopic",
    "SNS:Publish",
    "SNS:RemovePermission",
    "SNS:SetTopicAttributes",
    "SNS:Subscribe",
];

/** `arn:aws-cn:sns:...` -> `aws-cn`. */
function partitionOf(arn: string): string {
    const partition = arn.split(":")[1];
    if (!arn.startsWith("arn:") || partition === undefined || partition === "") {
        throw new RangeError(`topicArn: "${arn}" is not an ARN`);
    }
    return partition;
}

/**
 * Topic policy: the account manages the topic; the publisher services may publish only on
 * behalf of this account (aws:SourceAccount); nothing is published over plain HTTP.
 */
export function alertTopicPolicy(topicArn: string, accountId: string, services: readonly string[]): string {
    if (!/^\d{12}$/.test(accountId)) throw new RangeError(`accountId: "${accountId}" is not a 12-digit AWS account id`);
    if (services.length === 0) throw new RangeError("services: at least one publishing service is needed");
    const statements: unknown[] = [
        {
            Sid: "AccountManagesTopic",
            Effect: "Allow",
            Principal: { AWS: `arn:${partitionOf(topicArn)}:iam::${accountId}:root` },
            Action: OWNER_ACTIONS,
            Resource: topicArn,
        },
        {
            Sid: "ServicesPublishForThisAccount",
            Effect: "Allow",
            Principal: { Service: [...new Set(services)].sort() },
            Action: "SNS:Publish",
            Resource: topicArn,
            Condition: { StringEquals: { "aws:SourceAccount": accountId } },
        },
        {
            Sid: "DenyPublishWithoutTls",
            Effect: "Deny",
            Principal: "*",
            Action: "SNS:Publish",
            Resource: topicArn,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
    ];
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/**
 * Subscription filter: AWS Backup announces every finished job with a `State` message
 * attribute; let through only those that did not complete (FAILED, ABORTED, EXPIRED, PARTIAL),
 * and every message without the attribute (alarms, other publishers).
 */
export function alertFilterPolicy(): string {
    return JSON.stringify({
        $or: [
            { State: [{ exists: false }] },
            { State: [{ "anything-but": ["COMPLETED"] }] },
        ],
    });
}

/**
 * Stable resource-name suffix of an email subscription: the subscription is the address, so
 * adding or removing another address leaves it (and its confirmation) alone.
 */
export function emailSubscriptionSuffix(email: string): string {
    return createHash("sha256").update(email.trim().toLowerCase()).digest("hex").slice(0, 8);
}
