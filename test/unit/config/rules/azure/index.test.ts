import { strict as assert } from "node:assert";
import { formatFinding } from "../../../../../config/findings";
import { rules } from "../../../../../config/rules/azure";
import * as keyVault from "../../../../../config/rules/azure/keyVault";
import * as servers from "../../../../../config/rules/azure/servers";
import * as stack from "../../../../../config/rules/azure/stack";
import * as storage from "../../../../../config/rules/azure/storage";
import * as vault from "../../../../../config/rules/azure/vault";
import { validate } from "../../../../helpers/config";
import { prod, staging } from "../../../../helpers/azureRules";

describe("Azure rules", () => {
    it("the Azure baseline is valid in staging and in prod, without warnings", () => {
        // given the baseline Azure section; when validated in both environments; then nothing is found
        assert.deepEqual(validate(staging({})).map(formatFinding), []);
        assert.deepEqual(validate(prod({})).map(formatFinding), []);
    });

    it("every rule is registered, and each lives in exactly one module", () => {
        // given the rules each module exports
        const modules = [servers, storage, keyVault, vault, stack];
        const owners = rules.map((rule) => modules.filter((m) => Object.values(m).includes(rule)).length);
        // then every registered rule has one home, and the modules export no rule the list misses
        assert.deepEqual(owners, rules.map(() => 1));
        const exported = modules.flatMap((m) => Object.entries(m).filter(([name, value]) => typeof value === "function" && !/^effective|^tierBlobLifecycles$|^vaultRetention$/.test(name)).map(([, value]) => value));
        assert.equal(new Set(rules).size, rules.length);
        assert.deepEqual(exported.filter((r) => !(rules as readonly unknown[]).includes(r)), []);
    });
});
