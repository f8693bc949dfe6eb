import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ALERT_PUBLISHER_SERVICES, alertFilterPolicy, alertTopicPolicy, emailSubscriptionSuffix } from "./documents/alerts";

export interface AlertTopicArgs {
    /** ARN of the KMS key the topic is encrypted with. Required; its policy must admit the publisher services. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** @default [] - email addresses subscribed to the topic (each confirms by mail) */
    readonly emails?: readonly string[];
    /** @default [] - HTTPS endpoints (chat webhooks) subscribed to the topic; secrets, never shown in outputs */
    readonly webhookUrls?: readonly pulumi.Input<string>[];
    /** @default backup, cloudwatch and events .amazonaws.com - services allowed to publish (for this account only) */
    readonly publisherServices?: readonly string[];
    /** @default true - drop AWS Backup job notifications whose State is COMPLETED, so that only failures page */
    readonly onlyFailedJobs?: boolean;
    /** @default "PostgreSQL backup alerts" - sender name of email notifications */
    readonly displayName?: string;
    /** @default {} - tags of the topic */
    readonly tags?: Readonly<Record<string, string>>;
}

const DEFAULTS = {
    emails: [] as readonly string[],
    webhookUrls: [] as readonly pulumi.Input<string>[],
    publisherServices: ALERT_PUBLISHER_SERVICES,
    onlyFailedJobs: true,
    displayName: "PostgreSQL backup alerts",
    tags: {} as Readonly<Record<string, string>>,
};

type ResolvedArgs = Required<AlertTopicArgs>;

function withDefaults(args: AlertTopicArgs): ResolvedArgs {
    return {
        kmsKeyArn: args.kmsKeyArn,
        emails: args.emails ?? DEFAULTS.emails,
        webhookUrls: args.webhookUrls ?? DEFAULTS.webhookUrls,
        publisherServices: args.publisherServices ?? DEFAULTS.publisherServices,
        onlyFailedJobs: args.onlyFailedJobs ?? DEFAULTS.onlyFailedJobs,
        displayName: args.displayName ?? DEFAULTS.displayName,
        tags: args.tags ?? DEFAULTS.tags,
    };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The stack's SNS alert topic, KMS-encrypted, with email and HTTPS (webhook) subscriptions.
 * Alarms, AWS Backup vault notifications and EventBridge rules publish to it.
 */
export class AlertTopic extends pulumi.ComponentResource {
    public readonly topicArn: pulumi.Output<string>;
    public readonly topicName: pulumi.Output<string>;

    constructor(name: string, args: AlertTopicArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:aws:AlertTopic", name, {}, opts);
        const a = withDefaults(args);
        this.validate(a);

        const topic = new aws.sns.Topic(`${name}-topic`, {
            displayName: a.displayName,
            kmsMasterKeyId: a.kmsKeyArn,
            tags: { ...a.tags },
        }, { parent: this });

        const account = aws.getCallerIdentityOutput({}, { parent: this });
        new aws.sns.TopicPolicy(`${name}-policy`, {
            arn: topic.arn,
            policy: pulumi.all([topic.arn, account.accountId]).apply(([arn, accountId]) =>
                alertTopicPolicy(arn, accountId, a.publisherServices)),
        }, { parent: this });

        const filter = a.onlyFailedJobs ? { filterPolicy: alertFilterPolicy(), filterPolicyScope: "MessageAttributes" } : {};
        for (const email of [...new Set(a.emails.map((e) => e.trim().toLowerCase()))].sort()) {
            new aws.sns.TopicSubscription(`${name}-email-${emailSubscriptionSuffix(email)}`, {
                topic: topic.arn,
                protocol: "email",
                endpoint: email,
                ...filter,
            }, { parent: this });
        }
        a.webhookUrls.forEach((url, i) => {
            new aws.sns.TopicSubscription(`${name}-webhook-${i}`, {
                topic: topic.arn,
                protocol: "https",
                endpoint: pulumi.secret(pulumi.output(url).apply((u) => requireHttps(u, i, (m) => new Error(m)))),
                endpointAutoConfirms: false,
                ...filter,
            }, { parent: this });
        });

        this.topicArn = topic.arn;
        this.topicName = topic.name;
        this.registerOutputs({ topicArn: this.topicArn, topicName: this.topicName });
    }

    private validate(a: ResolvedArgs): void {
        a.emails.forEach((email, i) => {
            if (!EMAIL.test(email.trim())) {
                throw new pulumi.ResourceError(`emails[${i}]: "${email}" is not an email address`, this);
            }
        });
        a.webhookUrls.forEach((url, i) => {
            if (typeof url === "string") requireHttps(url, i, (m) => new pulumi.ResourceError(m, this));
        });
        if (a.publisherServices.length === 0) {
            throw new pulumi.ResourceError("publisherServices: [] must name at least one service, e.g. cloudwatch.amazonaws.com", this);
        }
        for (const service of a.publisherServices) {
            if (!/^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(service)) {
                throw new pulumi.ResourceError(`publisherServices: "${service}" is not an AWS service principal (<service>.amazonaws.com)`, this);
            }
        }
    }
}

/** Webhook URLs are secrets: the message names the position, never the value. */
function requireHttps(url: string, index: number, fail: (message: string) => Error): string {
    if (!/^https:\/\/[^\s/]+/.test(url)) {
        throw fail(`webhookUrls[${index}]: (secret) is not an https:// URL; SNS delivers to webhooks over HTTPS only`);
    }
    return url;
}
