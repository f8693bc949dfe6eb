import type { MockState } from "../helpers/mocks";

/**
 * Waits until no new resource has been recorded for a few ticks: children whose inputs wait on
 * other outputs register after the constructor returns. Bounded: 5 s at most.
 */
export async function settled(mocks: MockState): Promise<void> {
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

/** `type::name` of every resource recorded with the given component as its parent. */
export function childrenOf(mocks: MockState, componentType: string, componentName: string): string[] {
    return mocks.resources
        .filter((r) => r.parent?.type === componentType && r.parent.name === componentName)
        .map((r) => `${r.type}::${r.name}`);
}
