import * as assert from "assert";
import { createHash } from "crypto";
import * as fc from "fast-check";
import { REDACTED, STACK_CONFIG_RECORD_FORMAT, stackConfigRecord } from "../../../config/record";
import { stackConfig, validConfig } from "../../helpers/config";

describe("stack configuration record", () => {
    it("holds the resolved configuration, defaults filled, under a content-addressed key", () => {
        // given a stack configuration
        const config = stackConfig(validConfig());
        // when it is recorded
        const record = stackConfigRecord(config);
        const parsed = JSON.parse(record.json) as { format: string; config: { retention: { daily: { keepDays: number } }; storage: { prefix: string } } };
        // then the record names its format, carries the retention in force and is keyed by its own hash
        assert.strictEqual(parsed.format, STACK_CONFIG_RECORD_FORMAT);
        assert.strictEqual(parsed.config.retention.daily.keepDays, config.retention.daily.keepDays);
        assert.strictEqual(parsed.config.storage.prefix, "backups", "a default is recorded as it was applied");
        assert.strictEqual(record.sha256, createHash("sha256").update(record.json).digest("hex"));
        assert.strictEqual(record.key, `stack-config/${config.environment}/${record.sha256}.json`);
    });

    it("is deterministic, and any change of a setting gives another record", () => {
        // given the same configuration twice and one with a retention changed by a day
        const a = stackConfigRecord(stackConfig(validConfig()));
        const b = stackConfigRecord(stackConfig(validConfig()));
        const c = stackConfigRecord(stackConfig(validConfig({ "retention.monthly.keepDays": 366 })));
        // then equal settings record equally and different ones differently
        assert.strictEqual(a.json, b.json);
        assert.notStrictEqual(a.sha256, c.sha256);
    });

    it("never records a secret, whatever its value", () => {
        fc.assert(fc.property(fc.array(fc.string({ minLength: 8, maxLength: 40 }).map((s) => `https://hooks.example.com/${s}`), { minLength: 1, maxLength: 3 }), (urls) => {
            // given webhook URLs (secrets) in the configuration
            const config = stackConfig(validConfig({ "alerts.webhookUrls": urls }));
            // when it is recorded
            const record = stackConfigRecord(config);
            // then none of them appears, each is replaced where it stood
            for (const url of urls) assert.ok(!record.json.includes(JSON.stringify(url).slice(1, -1)), url);
            const parsed = JSON.parse(record.json) as { config: { alerts: { webhookUrls: string[] } } };
            assert.deepStrictEqual(parsed.config.alerts.webhookUrls, urls.map(() => REDACTED));
        }), { numRuns: 50 });
    });
});
