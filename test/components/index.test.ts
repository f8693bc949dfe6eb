import * as assert from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { settle, setupMocks } from "../helpers/mocks";
import { engineConfig, ROOT } from "../helpers/stackFiles";

const VARIABLE = "BUILDX_NO_DEFAULT_ATTESTATIONS";

/** Runs the program's entry point afresh for the staging stack file, with the given value of the variable. */
async function runProgram(value: string | undefined): Promise<number> {
    const mocks = setupMocks("pg-backup-stack", "staging");
    const { config, secretKeys } = engineConfig(path.join(ROOT, "Pulumi.staging.yaml"));
    pulumi.runtime.setAllConfig(config, secretKeys);
    const saved = process.env[VARIABLE];
    if (value === undefined) delete process.env[VARIABLE];
    else process.env[VARIABLE] = value;
    try {
        delete require.cache[require.resolve("../../index")];
        await import("../../index");
        await settle(mocks);
        return mocks.resources.length;
    } finally {
        if (saved === undefined) delete process.env[VARIABLE];
        else process.env[VARIABLE] = saved;
    }
}

describe("pulumi up of a stack with functions (the entry point under mocks)", () => {
    after(() => pulumi.runtime.setAllConfig({}, []));

    it("refuses, naming the variable, when BuildKit's default attestations are on", async () => {
        // given the build environment without the switch; when the program runs; then it stops, naming the variable
        await assert.rejects(() => runProgram(undefined), /BUILDX_NO_DEFAULT_ATTESTATIONS: \(unset\) must be 1 where `pulumi up` runs/);
    });

    it("declares the stack when they are off", async () => {
        assert.ok((await runProgram("1")) > 0);
    });
});
