import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../helpers/stackFiles";

/** Tests of the repository as a whole, directly under test/unit/ (docs/testing.md, "Where a test lives"). */
const REPOSITORY_TESTS = ["examples", "import-direction", "package-dependencies", "policy-semantics", "test-layout", "workflows"];

function testFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const file = path.join(dir, e.name);
        return e.isDirectory() ? testFiles(file) : e.name.endsWith(".test.ts") ? [file] : [];
    });
}

/**
 * The source a test file names: `test/<kind>/<dir>/<name>[.<aspect>].test.ts` -> `<dir>/<name>.ts`,
 * or the folder `<dir>/<name>/` for a test of a whole folder; undefined for a repository test.
 */
function sourceOf(testFile: string): string[] | undefined {
    const [, , ...rest] = path.relative(ROOT, testFile).split(path.sep);
    const name = (rest.pop() ?? "").replace(/\.test\.ts$/, "").split(".")[0] ?? "";
    if (rest.length === 0 && REPOSITORY_TESTS.includes(name)) return undefined;
    const base = path.join(...rest, name);
    return [`${base}.ts`, `${base}${path.sep}`];
}

describe("test layout", () => {
    it("reads the source of a test file, an aspect and a folder test included", () => {
        const t = (p: string): string => path.join(ROOT, p);
        assert.deepStrictEqual(sourceOf(t("test/unit/components/aws/documents/alarms.freeStorage.test.ts")), ["components/aws/documents/alarms.ts", "components/aws/documents/alarms/"]);
        assert.deepStrictEqual(sourceOf(t("test/components/components/aws/backupBucket.test.ts")), ["components/aws/backupBucket.ts", "components/aws/backupBucket/"]);
        assert.deepStrictEqual(sourceOf(t("test/unit/lambdas/shared.test.ts")), ["lambdas/shared.ts", "lambdas/shared/"]);
        assert.strictEqual(sourceOf(t("test/unit/examples.test.ts")), undefined);
    });

    it("every test file mirrors the path of the source file (or folder) it tests", () => {
        // given every test of every kind
        const files = ["unit", "components", "integration"].flatMap((kind) => testFiles(path.join(ROOT, "test", kind)));
        assert.ok(files.length > 80, `only ${files.length} test files`);
        // then each names a source file or folder that exists
        const orphans = files.filter((f) => {
            const candidates = sourceOf(f);
            return candidates !== undefined && !candidates.some((c) => fs.existsSync(path.join(ROOT, c)));
        });
        assert.deepStrictEqual(orphans.map((f) => path.relative(ROOT, f)), []);
    });
});
