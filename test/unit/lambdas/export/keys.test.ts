import { strict as assert } from "node:assert";
import { exportKey, watermarkKey } from "../../../../lambdas/export/keys";

describe("export keys", () => {
    const orders = { schema: "sales", table: "orders", column: "updated_at" };

    it("lay out keys by database, table and UTC day", () => {
        // given a table and an instant
        const at = new Date("2026-12-31T23:59:59.999Z");
        // when keys are built
        // then
        assert.equal(exportKey("/exports/", "shop", orders, at, "r1"), "exports/shop/sales.orders/2026/12/31/orders-20261231T235959999Z-r1.csv.gz");
        assert.equal(watermarkKey("exports", "shop", orders), "exports/shop/_watermarks/sales.orders.json");
    });
});
