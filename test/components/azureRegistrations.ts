import * as pulumi from "@pulumi/pulumi";
import type { MockState } from "../helpers/mocks";

/** Resource options the engine received that the mock's `newResource` is not told about. */
export interface RegisteredOptions {
    readonly protect: boolean;
    readonly replaceOnChanges: readonly string[];
}

interface OptionsRequest {
    getType(): string;
    getName(): string;
    getProtect(): boolean | undefined;
    getReplaceonchangesList(): string[];
}
interface Monitor {
    registerResource(req: OptionsRequest, callback: (err: unknown, response: unknown) => void): void;
}

/**
 * Records `protect` and `replaceOnChanges` of every registration, keyed `type::name`. Call right
 * after setupMocks(): it wraps that setup's monitor.
 */
export function recordOptions(): Map<string, RegisteredOptions> {
    const options = new Map<string, RegisteredOptions>();
    const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        options.set(`${req.getType()}::${req.getName()}`, {
            protect: req.getProtect() === true,
            replaceOnChanges: req.getReplaceonchangesList(),
        });
        register(req, callback);
    };
    return options;
}

/**
 * Waits until no new resource has been recorded for a few ticks (children that wait on other
 * outputs register later than the component's constructor returns). Bounded: 5 s at most.
 */
export async function settle(mocks: MockState): Promise<void> {
    let seen = -1;
    let quiet = 0;
    for (let i = 0; i < 250 && quiet < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (mocks.resources.length === seen) quiet++;
        else {
            seen = mocks.resources.length;
            quiet = 0;
        }
    }
}
