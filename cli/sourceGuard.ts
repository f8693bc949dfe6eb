/**
 * Whether a restore target is the very database a backup was taken from, so that `restore
 * --overwrite` cannot replace live data with older data by a slip of the URL.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { BackupSource } from "../lambdas/shared/manifest";
import type { PgTarget } from "../lambdas/shared/pgTarget";

/** Every address a host name resolves to; none when it does not resolve. */
export type Resolve = (host: string) => Promise<readonly string[]>;

const LOCAL = "(this machine)";

/**
 * Same database name, same port, and the same host: equal after normalising (case, a trailing
 * dot, brackets; localhost, 127.0.0.0/8, ::1 and a socket directory all mean this machine), or
 * resolving to a shared address. A host that does not resolve is compared by name only.
 */
export async function isSameDatabase(target: PgTarget, source: BackupSource, resolve: Resolve = resolveAll): Promise<boolean> {
    if (target.database !== source.database || target.port !== source.port) {
        return false;
    }
    const [a, b] = [normaliseHost(target.host), normaliseHost(source.host)];
    if (a === b) {
        return true;
    }
    const [left, right] = await Promise.all([addresses(a, resolve), addresses(b, resolve)]);
    return left.some((x) => right.includes(x));
}

function normaliseHost(host: string): string {
    const h = host.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
    if (h === "localhost" || h.startsWith("/") || h === "::1" || h === "0:0:0:0:0:0:0:1" || /^127\.\d+\.\d+\.\d+$/.test(h)) {
        return LOCAL;
    }
    return h;
}

async function addresses(host: string, resolve: Resolve): Promise<string[]> {
    if (host === LOCAL || isIP(host) !== 0) {
        return [host];
    }
    return (await resolve(host)).map(normaliseHost);
}

async function resolveAll(host: string): Promise<readonly string[]> {
    try {
        return (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
        return [];
    }
}
