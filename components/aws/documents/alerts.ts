import { createHash } from "crypto";

/**
 * Alert topic documents: the topic policy and the subscriptions' filter. Pure functions of
 * plain values, deterministic JSON.
 */

/**
 * Who publishes to which alert topic: CloudWatch alarms to the alarm topic, AWS Backup vault
 * notifications to the job topic. Because the topics are KMS-encrypted, the key policy lets each
 * of them use the key too (documents/keyPolicy ENCRYPTED_TOPIC_PUBLISHERS).
 */
export const ALARM_TOPIC_PUBLISHERS: readonly string[] = ["cloudwatch.amazonaws.com"];
export const JOB_TOPIC_PUBLISHERS: readonly string[] = ["backup.amazonaws.com"];

/**
 * The topic-policy condition each publishing service is documented with; a service missing here
 * has no documented topic policy and is refused.
 * - CloudWatch publishes an alarm action as the alarm (aws:SourceArn is the alarm's ARN), and the
 *   documented policy narrows the topic to alarms with `ArnLike aws:SourceArn`; here to every
 *   alarm of this account in the topic's region. AWS re:Post Knowledge Center, "Why didn't I
 *   receive an SNS notification for my CloudWatch alarm trigger?":
 *   https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger, and Amazon
 *   CloudWatch User Guide, "Notifying users on alarm changes":
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
 * - AWS Backup's documented topic policy has no condition, and nothing documents that Backup
 *   sends aws:SourceAccount: requiring it could drop the notification of a failed backup.
 *   AWS Backup Developer Guide, "Using Amazon SNS to track AWS Backup events":
 *   https://docs.aws.amazon.com/aws-backup/latest/devguide/sns-notifications.html
 */
const PUBLISHER_CONDITIONS: Readonly<Record<string, (topic: TopicArn) => PolicyCondition | undefined>> = {
    "cloudwatch.amazonaws.com": (t) => ({ ArnLike: { "aws:SourceArn": `arn:${t.partition}:cloudwatch:${t.region}:${t.accountId}:alarm:*` } }),
    "backup.amazonaws.com": () => undefined,
};

type PolicyCondition = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The parts of a topic's ARN a publisher's condition is built from. */
interface TopicArn {
    readonly partition: string;
    readonly region: string;
    readonly accountId: string;
}

/** The publishing services `alertTopicPolicy` knows the documented policy of. */
export const KNOWN_TOPIC_PUBLISHERS: readonly string[] = Object.keys(PUBLISHER_CONDITIONS).sort();

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

/** `arn:aws-cn:sns:cn-north-1:123456789012:alerts` -> its partition, region and account. */
function parseTopicArn(arn: string, accountId: string): TopicArn {
    const [prefix, partition, service, region] = arn.split(":");
    if (prefix !== "arn" || partition === undefined || partition === "" || service !== "sns" || region === undefined || region === "") {
        throw new RangeError(`topicArn: "${arn}" is not an ARN`);
    }
    return { partition, region, accountId };
}

/** `backup.amazonaws.com` -> `Backup`, for statement ids. */
function sidOf(service: string): string {
    const name = service.split(".")[0] ?? service;
    return name.charAt(0).toUpperCase() + name.slice(1);
}

/**
 * Topic policy: the account manages the topic; each publisher service may publish with the
 * documented policy of that service (PUBLISHER_CONDITIONS); nothing is published over plain HTTP.
 */
export function alertTopicPolicy(topicArn: string, accountId: string, services: readonly string[]): string {
    if (!/^\d{12}$/.test(accountId)) throw new RangeError(`accountId: "${accountId}" is not a 12-digit AWS account id`);
    if (services.length === 0) throw new RangeError("services: at least one publishing service is needed");
    const topic = parseTopicArn(topicArn, accountId);
    const unknown = services.filter((s) => PUBLISHER_CONDITIONS[s] === undefined);
    if (unknown.length > 0) {
        throw new RangeError(`services: ${unknown.join(", ")} has no documented topic policy here; supported are ${KNOWN_TOPIC_PUBLISHERS.join(", ")}`);
    }
    const publishers = [...new Set(services)].sort().map((service) => {
        const condition = PUBLISHER_CONDITIONS[service]?.(topic);
        return {
            Sid: `${sidOf(service)}Publishes`,
            Effect: "Allow",
            Principal: { Service: service },
            Action: "SNS:Publish",
            Resource: topicArn,
            ...(condition === undefined ? {} : { Condition: condition }),
        };
    });
    const statements: unknown[] = [
        {
            Sid: "AccountManagesTopic",
            Effect: "Allow",
            Principal: { AWS: `arn:${topic.partition}:iam::${accountId}:root` },
            Action: OWNER_ACTIONS,
            Resource: topicArn,
        },
        ...publishers,
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
