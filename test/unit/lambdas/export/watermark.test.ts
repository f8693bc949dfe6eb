import { strict as assert } from "node:assert";
import { boundsQuery, exportQuery, FUTURE_TOLERANCE_SECONDS } from "../../../../lambdas/export/watermark";

describe("export queries", () => {
    const orders = { schema: "sales", table: "orders", column: "updated_at" };

    it("select everything for a full export or a first run", () => {
        // given no previous watermark
        // when the queries are built
        // then neither the full export nor the first incremental run has a filter
        assert.equal(exportQuery({ schema: "sales", table: "order_items" }, undefined), 'SELECT * FROM "sales"."order_items"');
        assert.equal(exportQuery(orders, undefined), 'SELECT * FROM "sales"."orders"');
    });

    it("select the rows at or past the watermark and the NULL ones, with values and names quoted", () => {
        // given a watermark and identifiers that need quoting
        const t = { schema: "inventory", table: 'Stock "Levels"', column: "changed at" };
        // when the query is built
        const sql = exportQuery(t, "a'b\\c");
        // then the literal cannot end early, the identifiers are double-quoted, and the boundary value is included
        assert.equal(sql, `SELECT * FROM "inventory"."Stock ""Levels""" WHERE "changed at" >=  E'a''b\\\\c' OR "changed at" IS NULL`);
    });

    it("bound date and timestamp watermarks by the lag and count future values; other types by their maximum", () => {
        // given a timestamp column and a bigint one
        // when the bounds queries are built
        const timed = boundsQuery(orders, "updated_at", "2026-01-01 00:00:00+00", true, 300);
        const counter = boundsQuery(orders, "version", undefined, false, 300);
        // then the timestamp's next watermark is the greatest value older than now minus the lag, over the rows the run exports
        assert.match(timed, /max\("updated_at"\) FILTER \(WHERE "updated_at" <= now\(\) - make_interval\(secs => 300\)\)::text AS up_to/);
        assert.match(timed, new RegExp(`count\\(\\*\\) FILTER \\(WHERE "updated_at" > now\\(\\) \\+ make_interval\\(secs => ${FUTURE_TOLERANCE_SECONDS}\\)\\) AS future`));
        assert.match(timed, / WHERE "updated_at" >= '2026-01-01 00:00:00\+00' OR "updated_at" IS NULL$/);
        // and the bigint's is its maximum, over the whole table on a first run
        assert.match(counter, /max\("version"\)::text AS up_to, 0 AS future, NULL::text AS cutoff FROM "sales"."orders"$/);
    });
});
