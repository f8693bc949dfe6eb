import assert from "node:assert/strict";
import { isSameDatabase, type Resolve } from "../../../cli/sourceGuard";
import type { PgTarget } from "../../../lambdas/shared/pgTarget";

const target = (host: string, port = 5432, database = "orders"): PgTarget => ({ host, port, user: "admin", database });
const source = { host: "orders.abc123.eu-west-1.rds.amazonaws.com", port: 5432, database: "orders" };
/** A resolver with a fixed table; names not in it do not resolve. */
const resolver = (table: Record<string, readonly string[]>): Resolve => async (host) => table[host] ?? [];

describe("CLI restore: is the target the backup's source database?", () => {
    const dns = resolver({ "orders.abc123.eu-west-1.rds.amazonaws.com": ["10.0.3.7"], "orders-db.internal": ["10.0.3.7"], "replica.internal": ["10.0.9.9"] });

    const cases: [string, PgTarget, typeof source, boolean][] = [
        ["the same name", target("orders.abc123.eu-west-1.rds.amazonaws.com"), source, true],
        ["the name in other case and with a trailing dot", target("ORDERS.abc123.eu-west-1.rds.amazonaws.com."), source, true],
        ["another name for the same address", target("orders-db.internal"), source, true],
        ["the address itself", target("10.0.3.7"), source, true],
        ["another server", target("replica.internal"), source, false],
        ["another port", target("orders-db.internal", 5433), source, false],
        ["another database", target("orders-db.internal", 5432, "orders_restored"), source, false],
        ["localhost for 127.0.0.1", target("localhost"), { host: "127.0.0.1", port: 5432, database: "orders" }, true],
        ["::1 for 127.0.0.2", target("[::1]"), { host: "127.0.0.2", port: 5432, database: "orders" }, true],
        ["a socket directory for localhost", target("/var/run/postgresql"), { host: "localhost", port: 5432, database: "orders" }, true],
        ["a name that does not resolve, compared by name", target("unknown.internal"), { host: "other.internal", port: 5432, database: "orders" }, false],
    ];
    for (const [what, t, s, expected] of cases) {
        it(`${expected ? "same" : "not the same"}: ${what}`, async () => {
            assert.equal(await isSameDatabase(t, s, dns), expected);
        });
    }
});
