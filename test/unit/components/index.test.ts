import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as surface from "../../../components";

describe("the component library's public surface", () => {
    it("exports every component class of components/aws and components/azure by name", () => {
        const root = path.resolve(__dirname, "..", "..", "..", "components");
        const components = ["aws", "azure"].flatMap((dir) => fs.readdirSync(path.join(root, dir))
            .filter((f) => f.endsWith(".ts"))
            .flatMap((f) => [...fs.readFileSync(path.join(root, dir, f), "utf8").matchAll(/export class (\w+) extends pulumi\.ComponentResource/g)].map((m) => m[1] ?? "")));
        assert.ok(components.length >= 14, `found ${components.join(", ")}`);
        for (const name of components) {
            const value = (surface as Record<string, unknown>)[name];
            assert.strictEqual(typeof value, "function", `${name} is exported`);
        }
    });

    it("its presets and document builders work without Pulumi", () => {
        const tiers = surface.RetentionTiers.gfs();
        const rules = surface.lifecycleRules({ tiers, prefix: "backups", noncurrentVersionExpireDays: 30, abortIncompleteUploadDays: 1 });
        assert.ok(rules.some((r) => r.id.includes("monthly")));
        assert.deepStrictEqual(surface.lifecycleProblems({ tiers, prefix: "backups", noncurrentVersionExpireDays: 30, abortIncompleteUploadDays: 1 }), []);
    });
});
