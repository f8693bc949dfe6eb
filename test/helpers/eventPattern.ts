/**
 * A small evaluator of Amazon EventBridge event patterns, for testing the patterns this project
 * writes against sample events. It follows the EventBridge User Guide's semantics ("Creating
 * Amazon EventBridge event patterns", "Content filtering", "Arrays in event patterns"):
 * - every field of the pattern must match (AND); a field absent from the event does not match,
 *   except with `{ "exists": false }`;
 * - a leaf is a list of values or filters, any of which may match (OR);
 * - when the event's value is an array, the leaf matches if any element matches, and a nested
 *   pattern matches if any object of the array matches it;
 * - `$or` holds sub-patterns of which one must match at that level;
 * - filters: `prefix`, `anything-but` (a value, a list, or `{ prefix }`), `exists`, `numeric`.
 * Filters it does not know throw, so a pattern cannot pass a test by being misread.
 */

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

export function matchesPattern(pattern: unknown, event: unknown): boolean {
    if (!isObject(pattern)) throw new TypeError(`pattern: ${JSON.stringify(pattern)} is not an object`);
    return Object.entries(pattern).every(([key, sub]) => {
        if (key === "$or") {
            if (!Array.isArray(sub) || sub.length < 2) throw new TypeError("$or: expected at least two sub-patterns");
            return sub.some((alternative) => matchesPattern(alternative, event));
        }
        const value = isObject(event) ? (event as Record<string, Json>)[key] : undefined;
        if (Array.isArray(sub)) return matchesLeaf(sub, value);
        if (value === undefined) return false;
        if (Array.isArray(value)) return value.some((element) => isObject(element) && matchesPattern(sub, element));
        return isObject(value) && matchesPattern(sub, value);
    });
}

function matchesLeaf(filters: readonly unknown[], value: Json | undefined): boolean {
    return filters.some((filter) => {
        if (isObject(filter) && "exists" in filter) {
            return (value !== undefined) === (filter as { exists: boolean }).exists;
        }
        if (value === undefined) return false;
        const values: readonly Json[] = Array.isArray(value) ? value : [value];
        return values.some((v) => matchesFilter(filter, v));
    });
}

function matchesFilter(filter: unknown, value: Json): boolean {
    if (!isObject(filter)) return filter === value;
    const entries = Object.entries(filter);
    if (entries.length !== 1) throw new TypeError(`filter: ${JSON.stringify(filter)} must have one operator`);
    const [operator, operand] = entries[0]!;
    switch (operator) {
        case "prefix":
            return typeof value === "string" && typeof operand === "string" && value.startsWith(operand);
        case "anything-but":
            if (Array.isArray(operand)) return !operand.includes(value);
            if (isObject(operand)) return !matchesFilter(operand, value);
            return operand !== value;
        case "numeric":
            return typeof value === "number" && numericHolds(operand as readonly (string | number)[], value);
        default:
            throw new TypeError(`filter: operator "${operator}" is not known to this evaluator`);
    }
}

function numericHolds(conditions: readonly (string | number)[], value: number): boolean {
    for (let i = 0; i < conditions.length; i += 2) {
        const op = conditions[i];
        const bound = conditions[i + 1] as number;
        const holds = op === "=" ? value === bound : op === "<" ? value < bound : op === "<=" ? value <= bound : op === ">" ? value > bound : op === ">=" ? value >= bound : undefined;
        if (holds === undefined) throw new TypeError(`numeric: operator "${String(op)}" is not known`);
        if (!holds) return false;
    }
    return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
