import * as assert from "assert";
import * as path from "path";
import { buildReport } from "../../../audit";
import { readStackFile, stackNameOfFile } from "../../../config/load";
import { deployUnderMocks } from "../../helpers/program";
import { ROOT, shippedStackFiles } from "../../helpers/stackFiles";
import type { MockState } from "../../helpers/mocks";

/** Every `Kind "logical name"` a report line names. */
function namedComponents(line: string): { kind: string; name: string }[] {
    return [...line.matchAll(/\b([A-Z][A-Za-z]+) "([^"]+)"/g)].map((m) => ({ kind: m[1] ?? "", name: m[2] ?? "" }));
}

/** Whether the program declared a component of that kind (any package and module) under that name. */
function declares(mocks: MockState, kind: string, name: string): boolean {
    return mocks.resources.some((r) => r.type.split(":").pop() === kind && r.name === name);
}

describe("the audit report names only components the program declares", () => {
    it("reads every named component of a line, and only those", () => {
        assert.deepStrictEqual(namedComponents(`FargateRunner "pg-backup-prod-dump-orders", BackupFunction "pg-backup-prod-verify": per-function roles with "quotes"`), [
            { kind: "FargateRunner", name: "pg-backup-prod-dump-orders" },
            { kind: "BackupFunction", name: "pg-backup-prod-verify" },
        ]);
    });

    for (const file of shippedStackFiles()) {
        const label = path.relative(ROOT, file);
        it(`${label}: every component its report names is declared under that kind and logical name`, async () => {
            // given the program run under mocks and the report of the same stack file
            const { mocks, config } = await deployUnderMocks(file);
            const raw = readStackFile(file);
            const report = buildReport({ config, stack: stackNameOfFile(file), raw, findings: [], provenance: { generatedAt: "2026-01-01T00:00:00.000Z", stackFileSha256: "0".repeat(64) } });
            // when every line that names the enforcing components is read
            const lines = report.controls.flatMap((c) => c.resources.map((line) => ({ control: c.id, line })));
            assert.ok(lines.length > 10, `${label}: only ${lines.length} lines name components`);
            // then each line starts with a named component, and each one named is declared
            const unnamed = lines.filter(({ line }) => !/^[A-Z][A-Za-z]+ "/.test(line)).map(({ control, line }) => `${control}: ${line}`);
            assert.deepStrictEqual(unnamed, [], "a line that does not name its component");
            const undeclared = lines.flatMap(({ control, line }) => namedComponents(line)
                .filter(({ kind, name }) => !declares(mocks, kind, name))
                .map(({ kind, name }) => `${control}: ${kind} "${name}"`));
            assert.deepStrictEqual(undeclared, []);
        });
    }
});
