import { strict as assert } from "assert";
import { configurationRows, jsDocProblems, tagStates } from "../../../../cli/docs/configuration";

describe("configuration reference", () => {
    it("every key of the schema has its own JSDoc, and a @default tag stating the schema's default where it has one", () => {
        assert.deepEqual(jsDocProblems(), []);
    });

    it("a @default tag states the default as a value, or in words that name it", () => {
        // given tags as written in aws-cdk's style
        const cases: [string, unknown, boolean][] = [
            ["30", 30, true],
            ['"gzip"', "gzip", true],
            ["{} - every key takes its default", {}, true],
            ["- 512 for dump and export, 10240 for verify", 512, true],
            ["- 512 for dump and export, 10240 for verify", 10240, true],
            ["300", 30, false],
            ["gzip", "gzip", false],
            ["- 5120 for verify", 512, false],
            ["- 1.5 times", 1, false],
            ["true", false, false],
        ];
        // then each is judged against the schema's value
        for (const [tag, value, states] of cases) assert.equal(tagStates(tag, value), states, `@default ${tag} for ${JSON.stringify(value)}`);
    });

    it("lists nested keys with their defaults, ranges and source comments", () => {
        // given the configuration reference's rows
        const rows = new Map(configurationRows().map((r) => [r.key, r]));
        // then a key inside a list of objects has its range, default and JSDoc
        const retention = rows.get("aws.databases[].instance.backupRetentionDays");
        assert.ok(retention !== undefined);
        assert.equal(retention.type, "integer 0..35");
        assert.equal(retention.presence, "`7`");
        assert.match(retention.description, /automated backups/);
        // and a required key without a default says so
        assert.equal(rows.get("retention.daily.keepDays")?.presence, "**required**");
        // and a union of literals lists the values
        assert.match(rows.get("functions.logRetentionDays")?.type ?? "", /^one of 1, 3, 5, /);
    });
});
