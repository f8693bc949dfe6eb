import * as assert from "assert";
import { Finding, formatFinding } from "../../config/findings";
import { RawStackConfig } from "../../config/load";
import { StackConfig, validateConfig } from "../../config/validate";

/** A JSON-like value a test overrides config with; `undefined` deletes the key. */
type Json = unknown;

/**
 * The smallest valid raw configuration (as a stack file would hold it, namespace stripped):
 * a staging stack with one RDS database, whose 20 GB volume a Lambda dump reads in time even
 * when full. Tests change one thing and expect one finding.
 */
export function baseConfig(): Record<string, Json> {
    return {
        environment: "staging",
        objectives: { rpoMinutes: 60, rtoMinutes: 60 },
        regions: { primary: "eu-west-1", dr: "eu-central-1" },
        retention: {
            daily: { keepDays: 7 },
            weekly: { keepDays: 35 },
            monthly: { keepDays: 365, standardIaAfterDays: 30, glacierAfterDays: 60, deepArchiveAfterDays: 150 },
        },
        schedules: { dump: "rate(1 hour)" },
        aws: {
            network: { vpcId: "vpc-0abc", subnetIds: ["subnet-0a", "subnet-0b"] },
            databases: [{ name: "app", databaseName: "app", instance: { allocatedStorageGb: 20 } }],
        },
    };
}

/**
 * baseConfig with overrides at dotted paths (`"retention.daily.keepDays": 0`,
 * `"aws.databases[0].instance.backupWindow": "..."`); `undefined` removes the key.
 */
export function validConfig(overrides: Readonly<Record<string, Json>> = {}): Record<string, Json> {
    const config = baseConfig();
    for (const [path, value] of Object.entries(overrides)) setPath(config, path, value);
    return config;
}

export function asRaw(values: Record<string, Json>, origin: RawStackConfig["origin"] = "file"): RawStackConfig {
    return { source: "test", origin, values, foreign: {} };
}

/** All findings of a raw config (stack-file origin). */
export function validate(values: Record<string, Json>): readonly Finding[] {
    return validateConfig(asRaw(values)).findings;
}

export function errorsOf(values: Record<string, Json>): readonly Finding[] {
    return validate(values).filter((f) => f.severity === "error");
}

/** The resolved StackConfig of a raw config; throws with the findings if it has errors. */
export function stackConfig(values: Record<string, Json>): StackConfig {
    const result = validateConfig(asRaw(values, "program"));
    if (result.config === undefined) {
        throw new Error(`config has errors:\n${result.findings.map((f) => `${f.path}: ${f.message}`).join("\n")}`);
    }
    return result.config;
}

/** One rule's example: a config (or the overrides that make one) that breaks it, the finding it gives, and its nearest neighbour that does not. */
export interface RuleCase {
    readonly bad: Record<string, Json>;
    readonly good: Record<string, Json>;
    readonly path: string;
    readonly severity: Finding["severity"];
    readonly message: RegExp;
}

/** Findings as the validate command prints them, one a line, for assertion messages. */
export function showFindings(findings: readonly Finding[]): string {
    return findings.map(formatFinding).join("\n") || "(none)";
}

/** The findings at one key; of one severity when it is given. */
export function findingsAt(findings: readonly Finding[], path: string, severity?: Finding["severity"]): Finding[] {
    return findings.filter((f) => f.path === path && (severity === undefined || f.severity === severity));
}

/** Asserts exactly one finding of the expected severity at the key, its message matching; returns it. */
export function assertOneFinding(findings: readonly Finding[], expected: Pick<RuleCase, "path" | "severity" | "message">): Finding {
    const found = findingsAt(findings, expected.path, expected.severity);
    assert.strictEqual(found.length, 1, `expected one ${expected.severity} at ${expected.path}, got:\n${showFindings(findings)}`);
    const [finding] = found as [Finding];
    assert.match(finding.message, expected.message);
    return finding;
}

/**
 * Two tests per case, whose `bad` and `good` are overrides of validConfig(): the breaking config
 * gives exactly one finding of the case's severity at its key, and the neighbour none there; for
 * the cases `neighbourErrorFree` picks, the neighbour has no error at any key either.
 */
export function describeRuleCases(cases: readonly (RuleCase & { readonly name: string })[], neighbourErrorFree: (c: RuleCase) => boolean): void {
    for (const c of cases) {
        describe(c.name, () => {
            it(`reports ${c.severity === "error" ? "an error" : "a warning"} at ${c.path}`, () => {
                // given a config that breaks the rule / when validated
                const findings = validate(validConfig(c.bad));
                // then exactly one finding of that severity at the key, saying what is allowed
                assertOneFinding(findings, c);
            });
            it("accepts its nearest neighbour", () => {
                // given the config one step away / when validated / then nothing at that key
                const findings = validate(validConfig(c.good));
                assert.deepStrictEqual(findingsAt(findings, c.path, c.severity).map(formatFinding), []);
                if (neighbourErrorFree(c)) assert.deepStrictEqual(findings.filter((f) => f.severity === "error").map(formatFinding), []);
            });
        });
    }
}

function setPath(root: Record<string, Json>, path: string, value: Json): void {
    const parts = path.replace(/\[(\d+)\]/g, ".$1").split(".");
    let cur: Record<string, Json> | Json[] = root;
    parts.forEach((part, i) => {
        const last = i === parts.length - 1;
        const key: string | number = Array.isArray(cur) ? Number(part) : part;
        const container = cur as Record<string | number, Json>;
        if (last) {
            if (value === undefined) {
                if (Array.isArray(cur)) cur.splice(Number(part), 1);
                else delete container[key];
            } else {
                container[key] = value;
            }
            return;
        }
        if (typeof container[key] !== "object" || container[key] === null) {
            container[key] = /^\d+$/.test(parts[i + 1] ?? "") ? [] : {};
        }
        cur = container[key] as Record<string, Json> | Json[];
    });
}
