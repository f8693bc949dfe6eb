import * as assert from "assert";
import { ALL_RULES } from "../../../../config/validate";
import {
    LAMBDA_DUMP_BUDGET_SECONDS,
    PG_DUMP_MB_PER_SECOND,
    FARGATE_DUMP_MARGIN_SECONDS,
    dumpFitsLambda,
    dumpReportSeconds,
    dumpSecondsEstimate,
    dumpSizeBasis,
    fargateDumpFitsSchedule,
    fargateSizeValid,
    rules,
    verifyScratchFitsDump,
} from "../../../../config/rules/functions";
import { DEFAULT_RUN_TIMEOUT_SECONDS } from "../../../../components/aws/documents/fargate";
import type { StackConfig } from "../../../../config/validate";
import { findingsAt, showFindings as show, stackConfig, validConfig, validate } from "../../../helpers/config";

const RUNNER = "aws.databases[0].runner";

/** The resolved configuration of the base stack with overrides. */
const validParsed = (overrides: Record<string, unknown> = {}): StackConfig => stackConfig(validConfig(overrides));
const VERIFY_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:verify-server-AbC";

/** The base database with storage autoscaling up to `maxGb` (from 20 GB). */
function autoscaled(maxGb: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return validConfig({ "aws.databases[0].instance.allocatedStorageGb": 20, "aws.databases[0].instance.maxAllocatedStorageGb": maxGb, ...extra });
}

describe("configuration validation: where a database's functions run", () => {
    it("the rules are registered", () => {
        for (const rule of [dumpFitsLambda, fargateSizeValid, fargateDumpFitsSchedule]) assert.ok(rules.includes(rule) && ALL_RULES.includes(rule), rule.name);
    });

    it("the estimate is the size read at the measured 25 MB/s; the budget is 15 minutes less a minute", () => {
        assert.strictEqual(PG_DUMP_MB_PER_SECOND, 25);
        assert.strictEqual(LAMBDA_DUMP_BUDGET_SECONDS, 840);
        assert.strictEqual(dumpSecondsEstimate(21), 840);
        assert.strictEqual(dumpSecondsEstimate(1000), 40_000);
    });

    it("refuses Lambda for a database whose planned size cannot be dumped in time, naming the key, the estimate and the limit, and suggesting fargate", () => {
        // given autoscaling to 22 GB (880 s), just beyond the 840 s budget
        const findings = findingsAt(validate(autoscaled(22)), RUNNER);
        // then one error at the runner key
        assert.strictEqual(findings.length, 1, show(findings));
        assert.strictEqual(findings[0]?.severity, "error");
        assert.strictEqual(findings[0]?.value, "lambda");
        assert.match(findings[0]?.message ?? "", /maxAllocatedStorageGb 22 GB read at 25 MB\/s .* takes about 880 s, more than Lambda's 900 s less a 60 s margin = 840 s; set runner: fargate/);
    });

    it("warns at the budget itself and above half of it", () => {
        // given 21 GB (840 s, exactly the budget) and 20 GB (800 s)
        for (const maxGb of [21, 20]) {
            const findings = findingsAt(validate(autoscaled(maxGb)), RUNNER);
            // then a warning, not an error
            assert.deepStrictEqual(findings.map((f) => f.severity), ["warning"], show(findings));
            assert.match(findings[0]?.message ?? "", /more than half of Lambda's 900 s less a 60 s margin = 840 s; consider runner: fargate/);
        }
    });

    it("accepts fargate at any size, and a database the stack does not create (nothing bounds its data)", () => {
        assert.deepStrictEqual(findingsAt(validate(autoscaled(1000, { [RUNNER]: "fargate", "schedules.dump": "rate(1 day)" })), RUNNER), []);
        assert.deepStrictEqual(findingsAt(validate(validConfig({ [RUNNER]: "fargate", "aws.databases[0].instance.allocatedStorageGb": 4000, "schedules.dump": "rate(7 days)" })), RUNNER), []);
        assert.deepStrictEqual(dumpSizeBasis({ ...validParsed().aws.databases[0]!, instance: undefined }, 0), undefined);
    });

    describe("a fixed allocation (the most data the volume holds)", () => {
        const fixed = (gb: number): Record<string, unknown> => validConfig({ "aws.databases[0].instance.allocatedStorageGb": gb });

        it("is accepted on Lambda while even a full volume dumps within the budget: 20 and 21 GB (840 s, the budget itself)", () => {
            for (const gb of [20, 21]) assert.deepStrictEqual(findingsAt(validate(fixed(gb)), RUNNER), [], `${gb} GB`);
        });

        it("is warned about, never refused, from 22 GB (880 s when full), naming the key, the estimate, the limit and the data size where dumps fail", () => {
            for (const gb of [22, 4000]) {
                const findings = findingsAt(validate(fixed(gb)), RUNNER);
                assert.deepStrictEqual(findings.map((f) => f.severity), ["warning"], show(findings));
                assert.match(findings[0]?.message ?? "",
                    new RegExp(`aws\\.databases\\[0\\]\\.instance\\.allocatedStorageGb ${gb} GB read at 25 MB/s .* takes about ${gb * 40} s when the fixed allocation is full, more than Lambda's 900 s less a 60 s margin = 840 s, so dumps fail beyond about 21 GB of data; .*set runner: fargate`));
            }
        });

        it("the planned size wins over the allocation when storage autoscaling is on", () => {
            assert.deepStrictEqual(dumpSizeBasis(validParsed({ [RUNNER]: "fargate", "schedules.dump": "rate(1 day)", "aws.databases[0].instance.allocatedStorageGb": 400, "aws.databases[0].instance.maxAllocatedStorageGb": 1000 }).aws.databases[0]!, 0),
                { sizeGb: 1000, key: "aws.databases[0].instance.maxAllocatedStorageGb", kind: "planned" });
        });
    });

    it("refuses a runner that is neither lambda nor fargate", () => {
        const findings = validate(validConfig({ [RUNNER]: "ec2" }));
        assert.ok(findings.some((f) => f.path === RUNNER && f.severity === "error"), show(findings));
    });

    describe("the Fargate size", () => {
        it("refuses memory Fargate does not pair with the CPU, naming the allowed values", () => {
            const findings = findingsAt(validate(validConfig({ [RUNNER]: "fargate", "functions.fargate": { cpu: 512, memoryMb: 8192 } })), "functions.fargate.memoryMb");
            assert.strictEqual(findings.length, 1, show(findings));
            assert.strictEqual(findings[0]?.value, 8192);
            assert.match(findings[0]?.message ?? "", /is not allowed with functions\.fargate\.cpu 512; expected one of 1024, 2048, 3072, 4096/);
        });

        it("refuses a CPU value Fargate does not have", () => {
            const findings = findingsAt(validate(validConfig({ [RUNNER]: "fargate", "functions.fargate": { cpu: 3000 } })), "functions.fargate.cpu");
            assert.match(findings[0]?.message ?? "", /is not a Fargate CPU value; expected one of 256, 512, 1024, 2048, 4096, 8192, 16384/);
        });

        it("keeps ephemeral storage within 21..200 GiB", () => {
            for (const [gib, ok] of [[20, false], [21, true], [200, true], [201, false]] as const) {
                const findings = findingsAt(validate(validConfig({ [RUNNER]: "fargate", "functions.fargate.ephemeralStorageGiB": gib })), "functions.fargate.ephemeralStorageGiB");
                assert.strictEqual(findings.length === 0, ok, `${gib}: ${show(findings)}`);
            }
        });

        it("accepts the defaults, and any size while no database runs on Fargate", () => {
            assert.deepStrictEqual(validate(validConfig({ [RUNNER]: "fargate" })).filter((f) => f.path.startsWith("functions.fargate")), []);
            assert.deepStrictEqual(findingsAt(validate(validConfig({ "functions.fargate": { cpu: 3000 } })), "functions.fargate.cpu"), []);
        });
    });

    describe("verify's disk", () => {
        it("a dump beyond Lambda's 10 GB /tmp suggests fargate when databases verify on their own server", () => {
            const findings = findingsAt(validate(validConfig({ "functions.maxDumpSizeGiB": 20 })), "functions.verify.ephemeralStorageMb");
            assert.match(findings[0]?.message ?? "", /holds at most 10240 MB.*set runner: fargate on the verified databases/);
        });

        it("a Fargate verification uses the task's disk: 20 GiB dumps fit the 50 GiB default, 60 GiB ones need more", () => {
            assert.deepStrictEqual(validate(validConfig({ [RUNNER]: "fargate", "functions.maxDumpSizeGiB": 20 })).filter((f) => f.severity === "error"), []);
            const findings = findingsAt(validate(validConfig({ [RUNNER]: "fargate", "functions.maxDumpSizeGiB": 60 })), "functions.fargate.ephemeralStorageGiB");
            assert.strictEqual(findings.length, 1);
            assert.match(findings[0]?.message ?? "", /cannot hold the largest dump, functions\.maxDumpSizeGiB 60 GiB.*use at least 64/);
        });

        it("the task's disk also holds its image: a disk exactly the dump's size is refused, and a dump too large for 200 GiB with its image says so", () => {
            // given a dump as large as the disk (ECS keeps the pulled image on the same ephemeral storage)
            const exact = findingsAt(validate(validConfig({ [RUNNER]: "fargate", "functions.maxDumpSizeGiB": 50 })), "functions.fargate.ephemeralStorageGiB");
            // then it is refused, with the margin named
            assert.strictEqual(exact.length, 1);
            assert.match(exact[0]?.message ?? "", /besides the 4 GiB kept for the task's image .*use at least 54/);
            // and the margin is enough from there on
            assert.deepStrictEqual(findingsAt(validate(validConfig({ [RUNNER]: "fargate", "functions.maxDumpSizeGiB": 46 })), "functions.fargate.ephemeralStorageGiB"), []);
            // and a 198 GiB dump cannot fit 200 GiB with the image
            const beyond = findingsAt(validate(validConfig({ [RUNNER]: "fargate", "functions.maxDumpSizeGiB": 198, "functions.fargate.ephemeralStorageGiB": 200 })), "functions.fargate.ephemeralStorageGiB");
            assert.match(beyond[0]?.message ?? "", /Fargate gives a task at most 200 GiB: verify these dumps with the CLI/);
        });

        it("a shared verification server keeps verify on Lambda, whatever the runner", () => {
            const config = validConfig({ [RUNNER]: "fargate", "functions.maxDumpSizeGiB": 20, "functions.verification": { credentialsSecretArn: VERIFY_SECRET, securityGroupIds: ["sg-0abc"] } });
            const findings = findingsAt(validate(config), "functions.verify.ephemeralStorageMb");
            assert.strictEqual(findings.length, 1);
            assert.match(findings[0]?.message ?? "", /verify them with the CLI/);
            assert.ok(rules.includes(verifyScratchFitsDump));
        });
    });

    describe("overlapping Fargate dumps", () => {
        it("warns when the planned size takes longer to dump than the shortest gap between dumps", () => {
            // given hourly dumps of a database planned to reach 100 GB (4000 s), on Fargate
            const findings = findingsAt(validate(autoscaled(100, { [RUNNER]: "fargate", "schedules.dump": "rate(1 hour)" })), RUNNER);
            // then a warning at the runner names the database, the estimate and the gap
            assert.deepStrictEqual(findings.map((f) => f.severity), ["warning"], show(findings));
            assert.match(findings[0]?.message ?? "", /dumps app at its planned 100 GB \(aws\.databases\[0\]\.instance\.maxAllocatedStorageGb\) in about 1 h 7 min at 25 MB\/s, but schedules\.dump fires every 1 h at its shortest: its Fargate dumps would overlap/);
        });

        it("accepts a gap at least as long as the estimate: 90 GB (exactly an hour) hourly, 100 GB every two hours", () => {
            assert.deepStrictEqual(findingsAt(validate(autoscaled(90, { [RUNNER]: "fargate", "schedules.dump": "rate(1 hour)" })), RUNNER), []);
            assert.deepStrictEqual(findingsAt(validate(autoscaled(100, { [RUNNER]: "fargate", "schedules.dump": "rate(2 hours)" })), RUNNER), []);
        });

        it("judges a fixed allocation by a full volume: 100 GB fixed, hourly", () => {
            const findings = findingsAt(validate(validConfig({ [RUNNER]: "fargate", "aws.databases[0].instance.allocatedStorageGb": 100, "schedules.dump": "rate(1 hour)" })), RUNNER);
            assert.match(findings[0]?.message ?? "", /dumps app at a full 100 GB \(aws\.databases\[0\]\.instance\.allocatedStorageGb, a fixed allocation\) in about 1 h 7 min/);
        });
    });

    describe("how long a dump may take to report (the missing-backup alarm's wait)", () => {
        it("Lambda: the dump function's timeout", () => {
            const c = validParsed({ "functions.dump": { timeoutSeconds: 600 } });
            assert.strictEqual(dumpReportSeconds(c, c.aws.databases[0]!, 0), 600);
        });

        it("Fargate: the estimate of the largest data plus the start-up margin, at most the run's timeout", () => {
            // given Fargate databases planned to 1000 GB, fixed at 100 GB, and planned to 5000 GB (200,000 s, beyond the 24 h run)
            const at = (extra: Record<string, unknown>): number => {
                const c = validParsed({ [RUNNER]: "fargate", "schedules.dump": "rate(7 days)", ...extra });
                return dumpReportSeconds(c, c.aws.databases[0]!, 0);
            };
            // then 40,000 + 300 s, 4,000 + 300 s, and the 86,400 s run timeout
            assert.strictEqual(FARGATE_DUMP_MARGIN_SECONDS, 300);
            assert.strictEqual(at({ "aws.databases[0].instance.allocatedStorageGb": 200, "aws.databases[0].instance.maxAllocatedStorageGb": 1000 }), 40_300);
            assert.strictEqual(at({ "aws.databases[0].instance.allocatedStorageGb": 100 }), 4_300);
            assert.strictEqual(at({ "aws.databases[0].instance.allocatedStorageGb": 200, "aws.databases[0].instance.maxAllocatedStorageGb": 5000 }), DEFAULT_RUN_TIMEOUT_SECONDS);
        });
    });
});
