/**
 * Fail-fast readers for function configuration in environment variables. Handlers call them
 * once at cold start; every error names the variable, the value found and what is allowed.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export class EnvError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "EnvError";
    }
}

function raw(env: Env, name: string): string | undefined {
    const value = env[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
}

export function requireString(env: Env, name: string): string {
    const value = raw(env, name);
    if (value === undefined) {
        throw new EnvError(`${name} is not set; it is required`);
    }
    return value;
}

export function optionalString(env: Env, name: string): string | undefined {
    return raw(env, name);
}

export interface IntRange {
    readonly min: number;
    readonly max: number;
    /** Used when the variable is unset; without it the variable is required. */
    readonly default?: number;
}

export function integer(env: Env, name: string, range: IntRange): number {
    const value = raw(env, name);
    if (value === undefined) {
        if (range.default === undefined) {
            throw new EnvError(`${name} is not set; it is required (an integer in ${range.min}..${range.max})`);
        }
        return range.default;
    }
    if (!/^-?\d+$/.test(value)) {
        throw new EnvError(`${name}: "${value}" is not an integer; expected ${range.min}..${range.max}`);
    }
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
        throw new EnvError(`${name}: ${value} is out of range ${range.min}..${range.max}`);
    }
    return n;
}

/** One of a fixed set of words, compared case-insensitively. */
export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback?: T): T {
    const value = raw(env, name);
    if (value === undefined) {
        if (fallback === undefined) {
            throw new EnvError(`${name} is not set; it is required (one of ${allowed.join(", ")})`);
        }
        return fallback;
    }
    const found = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
    if (found === undefined) {
        throw new EnvError(`${name}: "${value}" is not allowed; expected one of ${allowed.join(", ")}`);
    }
    return found;
}

/**
 * Exactly one of the variables must be set; returns which one and its value. Two set are refused
 * naming both.
 */
export function exactlyOne<N extends string>(env: Env, ...names: [N, N, ...N[]]): { readonly name: N; readonly value: string } {
    const set = names.flatMap((name) => {
        const value = raw(env, name);
        return value === undefined ? [] : [{ name, value }];
    });
    const [first, second] = set;
    if (first !== undefined && second !== undefined) {
        throw new EnvError(`${first.name} and ${second.name} are both set; set exactly one${names.length > 2 ? ` of ${names.join(", ")}` : ""}`);
    }
    if (first === undefined) {
        throw new EnvError(names.length === 2 ? `neither ${names[0]} nor ${names[1]} is set; set exactly one` : `none of ${names.join(", ")} is set; set exactly one`);
    }
    return first;
}
