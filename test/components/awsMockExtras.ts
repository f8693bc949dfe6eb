import * as pulumi from "@pulumi/pulumi";
import type { MockState } from "../helpers/mocks";

/**
 * Additions to the shared mocks for the RDS, AWS Backup and alert topic tests: what providers
 * compute (generated names, random ids) and the `protect` option the mock is not told about.
 * Call right after setupMocks(): they wrap that setup's monitor.
 */

interface MockMonitor {
    readonly mocks: {
        newResource(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string | undefined; state: Record<string, unknown> }> | { id: string | undefined; state: Record<string, unknown> };
    };
    registerResource(req: ProtectRequest, callback: (err: unknown, response: unknown) => void): void;
}

interface ProtectRequest {
    getType(): string;
    getName(): string;
    getProtect(): boolean | undefined;
}

/** Fixed hex of every RandomId, so that names derived from it can be asserted. */
export const RANDOM_HEX = "0a1b2c3d";

/** Types whose `name` the provider would generate when none is given. */
const AUTONAMED = new Set([
    "aws:backup/vault:Vault",
    "aws:backup/plan:Plan",
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:sns/topic:Topic",
]);

/** Generated names and random values, as the providers would report them. */
export function computeProviderState(): void {
    const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor;
    const inner = monitor.mocks.newResource.bind(monitor.mocks);
    monitor.mocks.newResource = async (args) => {
        const result = await inner(args);
        const state = { ...result.state };
        if (AUTONAMED.has(args.type) && state["name"] === undefined) state["name"] = `${args.name}-generated`;
        if (args.type === "aws:rds/instance:Instance" && state["identifier"] === undefined) state["identifier"] = `${args.name}-generated`;
        if (args.type === "random:index/randomId:RandomId") state["hex"] = RANDOM_HEX;
        return { id: result.id, state };
    };
}

/** Records the `protect` option of every registration, keyed `type::name`. */
export function recordProtect(): Map<string, boolean> {
    const protect = new Map<string, boolean>();
    const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        protect.set(`${req.getType()}::${req.getName()}`, req.getProtect() === true);
        register(req, callback);
    };
    return protect;
}

/** The shared helper's wait for late registrations, under the name other tests import from here. */
export { settle as settled } from "../helpers/mocks";

/** Children of a component must all be parented to it. */
export function childrenOf(mocks: MockState, componentType: string, componentName: string): string[] {
    return mocks.resources
        .filter((r) => r.parent?.type === componentType && r.parent.name === componentName)
        .map((r) => `${r.type}::${r.name}`);
}
