import * as assert from "assert";
import { MockState, RecordedResource } from "../helpers/mocks";

/**
 * Waits until the mocks stop recording new resources: registration is asynchronous, and a
 * child whose inputs wait on another resource registers later. Bounded in polls and time.
 */
export async function settle(mocks: MockState): Promise<void> {
    let seen = -1;
    let quiet = 0;
    for (let poll = 0; poll < 300 && quiet < 5; poll++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        quiet = mocks.resources.length === seen ? quiet + 1 : 0;
        seen = mocks.resources.length;
    }
}

/** Parses a recorded JSON policy input. */
export function policyOf(r: RecordedResource, key = "policy"): { Statement: { Sid?: string; Effect: string; Action: string[]; Resource?: string[]; Principal?: unknown; Condition?: Record<string, Record<string, unknown>> }[] } {
    const text = r.inputs[key];
    assert.strictEqual(typeof text, "string", `${r.type} ${r.name}: ${key} is not a JSON string`);
    return JSON.parse(text as string);
}

/** Asserts that every resource recorded except the component itself and providers has the component as its parent. */
export function assertAllParented(mocks: MockState, componentType: string, componentName: string): void {
    const children = mocks.resources.filter((r) => r.type !== componentType && !r.type.startsWith("pulumi:providers:"));
    assert.ok(children.length > 0, "no children recorded");
    for (const child of children) {
        assert.deepStrictEqual(child.parent, { type: componentType, name: componentName }, `${child.type} ${child.name} is not parented to the component`);
    }
}
