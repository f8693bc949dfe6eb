import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { DeclaredResource, SNAPSHOT_DIR, UPDATE_VARIABLE, declaredResources, normaliseValue, readSnapshot, snapshotFile, snapshotText } from "../../helpers/declaredResources";
import { deployUnderMocks } from "../../helpers/program";
import { ROOT, shippedStackFiles } from "../../helpers/stackFiles";

const updating = process.env[UPDATE_VARIABLE] === "1";

/** `type::name` of a declared resource. */
const key = (r: DeclaredResource): string => `${r.type}::${r.name}`;

/** What differs between the snapshot and the program, named resource by resource. */
function differences(expected: readonly DeclaredResource[], actual: readonly DeclaredResource[]): string[] {
    const before = new Map(expected.map((r) => [key(r), r]));
    const after = new Map(actual.map((r) => [key(r), r]));
    const added = [...after.keys()].filter((k) => !before.has(k)).map((k) => `added ${k}`);
    const removed = [...before.keys()].filter((k) => !after.has(k)).map((k) => `removed ${k}`);
    const changed = [...after.entries()]
        .filter(([k, r]) => before.has(k) && JSON.stringify(before.get(k)) !== JSON.stringify(r))
        .map(([k]) => `changed ${k}`);
    return [...added, ...removed, ...changed];
}

describe("declared resources of every shipped stack, against their snapshot", () => {
    for (const file of shippedStackFiles()) {
        const label = path.relative(ROOT, file);
        it(`${label} declares exactly the resources of ${path.relative(ROOT, snapshotFile(file))}`, async () => {
            // given the stack file, run as the engine would under mocks
            const { mocks } = await deployUnderMocks(file);
            const actual = declaredResources(mocks);
            // when it is compared with (or written to) its snapshot
            const target = snapshotFile(file);
            if (updating) {
                fs.writeFileSync(target, snapshotText(actual));
                return;
            }
            const expected = readSnapshot(target);
            assert.ok(expected !== undefined, `${label}: no snapshot at ${path.relative(ROOT, target)}; run \`npm run snapshots\``);
            // then nothing was added, removed or changed
            const diff = differences(expected, JSON.parse(snapshotText(actual)) as DeclaredResource[]);
            assert.deepStrictEqual(diff, [], `${label}: declared resources differ from the snapshot; if intended, run \`npm run snapshots\` and commit the diff`);
        });
    }

    it("keeps no snapshot of a stack file that is no longer shipped", () => {
        const expected = shippedStackFiles().map((f) => path.basename(snapshotFile(f))).sort();
        const present = fs.readdirSync(SNAPSHOT_DIR).filter((f) => f.endsWith(".json")).sort();
        if (updating) for (const orphan of present.filter((f) => !expected.includes(f))) fs.rmSync(path.join(SNAPSHOT_DIR, orphan));
        else assert.deepStrictEqual(present, expected);
    });

    describe("normalisation", () => {
        it("takes out the checkout's path, content digests and the random hex, and keeps every other value", () => {
            // given inputs holding values that change without a change of declared resources
            const inputs = {
                context: { location: path.join(ROOT, "lambdas") },
                key: `stack-config/prod/${"ab".repeat(32)}.json`,
                tags: ["repo:pg15-x86_64-1bcae3eab84409f4"],
                finalSnapshotIdentifier: "pg-backup-prod-orders-final-0a1b2c3d",
                subnetIds: ["subnet-0a1b2c3d4e5f60001"],
                retention: 35,
            };
            // then only those parts are replaced
            assert.deepStrictEqual(normaliseValue(inputs), {
                context: { location: "<root>/lambdas" },
                finalSnapshotIdentifier: "pg-backup-prod-orders-final-<random>",
                key: "stack-config/prod/<sha256>.json",
                retention: 35,
                subnetIds: ["subnet-0a1b2c3d4e5f60001"],
                tags: ["repo:pg15-x86_64-<digest>"],
            });
        });

        it("parses JSON documents and marks secrets, so that a diff names the field that changed", () => {
            const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "https://hooks.example.com/x" };
            assert.deepStrictEqual(normaliseValue({ policy: '{"Version":"2012-10-17","Statement":[]}', url: secret }), {
                policy: { json: { Statement: [], Version: "2012-10-17" } },
                url: { secret: "https://hooks.example.com/x" },
            });
        });
    });
});
