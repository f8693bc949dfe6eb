import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ALARM_TOPIC_PUBLISHERS, JOB_TOPIC_PUBLISHERS, KNOWN_TOPIC_PUBLISHERS, alertFilterPolicy, alertTopicPolicy, emailSubscriptionSuffix } from "./documents/alerts";

export interface AlertTopicArgs {
    /** ARN of the KMS key the topic is encrypted with. Required; its policy must admit the publisher services. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /**
     * Email addresses subscribed to the topic (each confirms by mail).
     * @default []
     */
    readonly emails?: readonly string[];
    /**
     * HTTPS endpoints (chat webhooks) subscribed to the topic; secrets, never shown in outputs.
     * @default []
     */
    readonly webhookUrls?: readonly pulumi.Input<string>[];
    /**
     * Services allowed to publish to the alarm topic, each with its documented topic policy.
     * @default cloudwatch.amazonaws.com
     */
    readonly publisherServices?: readonly string[];
    /**
     * Services allowed to publish to the job topic, each with its documented topic policy.
     * @default backup.amazonaws.com
     */
    readonly jobPublisherServices?: readonly string[];
    /**
     * On the job topic, drop AWS Backup job notifications whose State is COMPLETED, so that only failures page.
     * @default true
     */
    readonly onlyFailedJobs?: boolean;
    /**
     * Sender name of email notifications.
     * @default "PostgreSQL backup alerts"
     */
    readonly displayName?: string;
    /**
     * Tags of the topic.
     * @default {}
     */
    readonly tags?: Readonly<Record<string, string>>;
}

const DEFAULTS = {
    emails: [] as readonly string[],
    webhookUrls: [] as readonly pulumi.Input<string>[],
    publisherServices: ALARM_TOPIC_PUBLISHERS,
    jobPublisherServices: JOB_TOPIC_PUBLISHERS,
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
        jobPublisherServices: args.jobPublisherServices ?? DEFAULTS.jobPublisherServices,
        onlyFailedJobs: args.onlyFailedJobs ?? DEFAULTS.onlyFailedJobs,
        displayName: args.displayName ?? DEFAULTS.displayName,
        tags: args.tags ?? DEFAULTS.tags,
    };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The stack's SNS alert topics, KMS-encrypted, each with the same email and HTTPS (webhook)
 * subscriptions:
 * - `topicArn`: alarms and anything else; subscriptions take every message. (An SNS filter
 *   on message attributes never matches a message without attributes, as alarm notifications
 *   are, so this topic must stay unfiltered.)
 * - `jobTopicArn`: AWS Backup vault notifications; with `onlyFailedJobs`, subscriptions drop
 *   the jobs whose `State` attribute is `COMPLETED`, so only failures page.
 */
export class AlertTopic extends pulumi.ComponentResource {
    /** ARN of the alarm topic. */
    public readonly topicArn: pulumi.Output<string>;
    /** Name of the alarm topic. */
    public readonly topicName: pulumi.Output<string>;
    /** ARN of the job topic (AWS Backup notifications). */
    public readonly jobTopicArn: pulumi.Output<string>;
    /** Name of the job topic. */
    public readonly jobTopicName: pulumi.Output<string>;

    constructor(name: string, args: AlertTopicArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:aws:AlertTopic", name, {}, opts);
        const a = withDefaults(args);
        this.validate(a);
        const account = aws.getCallerIdentityOutput({}, { parent: this });
        const alarms = this.topic(name, a, a.publisherServices, account.accountId, {});
        const jobs = this.topic(`${name}-jobs`, a, a.jobPublisherServices, account.accountId,
            a.onlyFailedJobs ? { filterPolicy: alertFilterPolicy(), filterPolicyScope: "MessageAttributes" } : {});

        this.topicArn = alarms.arn;
        this.topicName = alarms.name;
        this.jobTopicArn = jobs.arn;
        this.jobTopicName = jobs.name;
        this.registerOutputs({ topicArn: this.topicArn, topicName: this.topicName, jobTopicArn: this.jobTopicArn, jobTopicName: this.jobTopicName });
    }

    /** One encrypted topic with its publish policy and a subscription per address and webhook. */
    private topic(
        stem: string,
        a: ResolvedArgs,
        publishers: readonly string[],
        accountId: pulumi.Output<string>,
        filter: { filterPolicy?: string; filterPolicyScope?: string },
    ): aws.sns.Topic {
        const topic = new aws.sns.Topic(`${stem}-topic`, {
            displayName: a.displayName,
            kmsMasterKeyId: a.kmsKeyArn,
            tags: { ...a.tags },
        }, { parent: this });
        new aws.sns.TopicPolicy(`${stem}-policy`, {
            arn: topic.arn,
            policy: pulumi.all([topic.arn, accountId]).apply(([arn, account]) => alertTopicPolicy(arn, account, publishers)),
        }, { parent: this });
        for (const email of [...new Set(a.emails.map((e) => e.trim().toLowerCase()))].sort()) {
            new aws.sns.TopicSubscription(`${stem}-email-${emailSubscriptionSuffix(email)}`, {
                topic: topic.arn,
                protocol: "email",
                endpoint: email,
                ...filter,
            }, { parent: this });
        }
        a.webhookUrls.forEach((url, i) => {
            new aws.sns.TopicSubscription(`${stem}-webhook-${i}`, {
                topic: topic.arn,
                protocol: "https",
                endpoint: pulumi.secret(pulumi.output(url).apply((u) => requireHttps(u, i, (m) => new Error(m)))),
                endpointAutoConfirms: false,
                ...filter,
            }, { parent: this });
        });
        return topic;
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
        for (const [arg, services] of [["publisherServices", a.publisherServices], ["jobPublisherServices", a.jobPublisherServices]] as const) {
            if (services.length === 0) {
                throw new pulumi.ResourceError(`${arg}: [] must name at least one service, e.g. cloudwatch.amazonaws.com`, this);
            }
            for (const service of services) {
                if (!/^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(service)) {
                    throw new pulumi.ResourceError(`${arg}: "${service}" is not an AWS service principal (<service>.amazonaws.com)`, this);
                }
                if (!KNOWN_TOPIC_PUBLISHERS.includes(service)) {
                    throw new pulumi.ResourceError(`${arg}: "${service}" has no documented topic policy here; give one of ${KNOWN_TOPIC_PUBLISHERS.join(", ")}`, this);
                }
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
