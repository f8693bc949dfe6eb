/** An IAM, key or bucket policy statement, in the JSON shape AWS reads. */
export interface PolicyStatement {
    readonly Sid: string;
    readonly Effect: "Allow" | "Deny";
    readonly Principal?: "*" | { readonly AWS?: readonly string[]; readonly Service?: readonly string[] };
    readonly Action: readonly string[];
    /** Absent only in trust policies, whose resource is the role itself. */
    readonly Resource?: readonly string[];
    readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** An IAM, key or bucket policy. */
export interface PolicyDocument {
    readonly Version: "2012-10-17";
    readonly Statement: readonly PolicyStatement[];
}

/** Builds a policy document from statements, dropping the ones a builder left out (`undefined`). */
export function policyDocument(statements: readonly (PolicyStatement | undefined)[]): PolicyDocument {
    return { Version: "2012-10-17", Statement: statements.filter((s): s is PolicyStatement => s !== undefined) };
}

/** The JSON text of a document: stable for equal inputs, so a re-run shows no diff. */
export function policyJson(doc: PolicyDocument): string {
    return JSON.stringify(doc);
}

/** Sorted and without duplicates: principal and resource lists must not depend on input order. */
export function sortedUnique(values: readonly string[]): string[] {
    return [...new Set(values)].sort();
}

/** An IAM role ARN in any partition; service-linked and path-qualified roles included. */
export const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** A role ARN or an ARN pattern for `ArnLike` conditions (`*` allowed in the name). */
export const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/*-]{1,512}$/;

/** Returns the ARNs that are not role ARNs, for an error message. */
export function invalidRoleArns(arns: readonly string[]): string[] {
    return arns.filter((arn) => !ROLE_ARN.test(arn));
}

/** Returns the values that are neither role ARNs nor role ARN patterns, for an error message. */
export function invalidRoleArnPatterns(arns: readonly string[]): string[] {
    return arns.filter((arn) => !ROLE_ARN_PATTERN.test(arn));
}
