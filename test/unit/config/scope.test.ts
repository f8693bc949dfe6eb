import * as assert from "assert";
import { MAX_STACK_NAME_LENGTH, STACK_TAG_KEY, stackScope } from "../../../config/scope";

describe("the stack's scope of account-unique names", () => {
    it("derives the stem and the stack tag from the stack name", () => {
        assert.deepStrictEqual(stackScope("prod"), { stack: "prod", stem: "pg-backup-prod", tag: { key: STACK_TAG_KEY, value: "prod" } });
        assert.strictEqual(stackScope("eu-staging-2").stem, "pg-backup-eu-staging-2");
    });

    it("refuses a stack name that cannot carry into AWS names, naming it and what is allowed", () => {
        for (const bad of ["Prod", "prod_1", "prod--a", "prod-", "1prod", "a".repeat(MAX_STACK_NAME_LENGTH + 1)]) {
            assert.throws(() => stackScope(bad), new RegExp(`^RangeError: stack: "${bad}" cannot carry into the account-unique names; give 1-${MAX_STACK_NAME_LENGTH} lower-case letters`));
        }
    });
});
