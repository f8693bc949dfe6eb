import * as assert from "assert";
import * as path from "path";
import { fromPulumiConfig } from "../../config/load";
import { StackConfig, validateConfig } from "../../config/validate";
import type { StackOutputs } from "../../program/deploy";
import { MockState, settle, setupMocks, unwrap } from "./mocks";
import { engineConfig } from "./stackFiles";

/** Validates a shipped stack file as the engine would hand it over, and declares the stack under mocks (stack named after the file). */
export async function deployUnderMocks(file: string): Promise<{ mocks: MockState; config: StackConfig; outputs: StackOutputs }> {
    const mocks = setupMocks("pg-backup-stack", path.basename(file).replace(/^Pulumi\.|\.yaml$/g, ""));
    const result = validateConfig(fromPulumiConfig(engineConfig(file).config));
    assert.ok(result.config, `${file}: ${result.findings.map((f) => `${f.path}: ${f.message}`).join("; ")}`);
    const { deployStack } = await import("../../program/deploy");
    const outputs = deployStack(result.config);
    await unwrap(outputs.backupBucket ?? outputs.environment);
    await settle(mocks);
    return { mocks, config: result.config, outputs };
}
