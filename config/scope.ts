/**
 * The one home of the names AWS requires unique per account or region (KMS aliases, restore
 * testing plans, Lambda functions and their roles, queues and log groups, alarms, dashboards,
 * DB instance identifiers), and of the tag that keeps tag-based selections to this stack's own
 * resources: all derive from the Pulumi stack name, which is unique within the project, so that
 * staging and prod can share an account without touching each other. The logical names of the
 * components themselves live in resourceNames.ts.
 */

/** Tag every resource this stack selects by tag carries, with the stack name as its value. */
export const STACK_TAG_KEY = "pg-backup-stack:stack";

/** Longest stack name the derived names leave room for (a Lambda function name is at most 50 here). */
export const MAX_STACK_NAME_LENGTH = 24;

export interface StackScope {
    /** The Pulumi stack name. */
    readonly stack: string;
    /** `pg-backup-<stack>`: the stem of every account-unique name. */
    readonly stem: string;
    /** The stack tag, set on the resources this stack selects and required by its selections. */
    readonly tag: { readonly key: string; readonly value: string };
}

/** The scope of a stack; throws when the stack name cannot carry into AWS names. */
export function stackScope(stack: string): StackScope {
    if (!/^[a-z][a-z0-9-]*$/.test(stack) || stack.includes("--") || stack.endsWith("-") || stack.length > MAX_STACK_NAME_LENGTH) {
        throw new RangeError(
            `stack: "${stack}" cannot carry into the account-unique names; give 1-${MAX_STACK_NAME_LENGTH} lower-case letters, ` +
                "digits and single '-', starting with a letter (e.g. prod, staging)",
        );
    }
    return { stack, stem: `pg-backup-${stack}`, tag: { key: STACK_TAG_KEY, value: stack } };
}

/** The tag that selects resources into the AWS Backup plan: the configured one, else `backup-plan=<stem>`. */
export function backupSelectionTag(configured: { readonly key: string; readonly value: string } | undefined, scope: StackScope): { readonly key: string; readonly value: string } {
    return configured ?? { key: "backup-plan", value: scope.stem };
}
