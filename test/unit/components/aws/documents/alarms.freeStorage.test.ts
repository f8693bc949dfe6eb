import * as assert from "assert";
import { AlarmDefinition, GIB, freeStorageAlarm } from "../../../../../components/aws/documents/alarms";

type Value = number | readonly number[];

/**
 * A small evaluator of the CloudWatch metric math the alarms use (numbers, `m`, + - * /, < >,
 * unary minus, IF(condition, then, else), RATE(series): change per second from the previous
 * datapoint, none for the first), over one series `m` of datapoints `period` seconds apart.
 */
function evaluate(expression: string, m: readonly number[], period: number): number[] {
    const tokens = expression.match(/\d+(\.\d+)?|[A-Za-z_]+|[-+*/<>(),]/g) ?? [];
    let at = 0;
    const peek = (): string | undefined => tokens[at];
    const take = (want?: string): string => {
        const t = tokens[at++];
        if (t === undefined || (want !== undefined && t !== want)) throw new Error(`expected ${want ?? "a token"} at ${at} in ${expression}`);
        return t;
    };
    const n = m.length;
    const series = (v: Value): number[] => (typeof v === "number" ? Array.from({ length: n }, () => v) : [...v]);
    const zip = (a: Value, b: Value, f: (x: number, y: number) => number): number[] => {
        const [x, y] = [series(a), series(b)];
        return x.map((xi, i) => f(xi, y[i] ?? NaN));
    };
    const primary = (): Value => {
        const t = take();
        if (t === "-") return series(primary()).map((v) => -v);
        if (t === "(") { const v = comparison(); take(")"); return v; }
        if (/^\d/.test(t)) return Number(t);
        if (t === "m") return m;
        take("(");
        if (t === "RATE") { const s = series(comparison()); take(")"); return s.map((v, i) => (i === 0 ? NaN : (v - (s[i - 1] ?? NaN)) / period)); }
        if (t === "IF") {
            const c = comparison(); take(",");
            const a = comparison(); take(",");
            const b = comparison(); take(")");
            const [cs, as, bs] = [series(c), series(a), series(b)];
            return cs.map((ci, i) => (Number.isNaN(ci) ? NaN : ci !== 0 ? (as[i] ?? NaN) : (bs[i] ?? NaN)));
        }
        throw new Error(`unknown function ${t}`);
    };
    const product = (): Value => {
        let v = primary();
        while (peek() === "*" || peek() === "/") { const op = take(); const r = primary(); v = zip(v, r, op === "*" ? (x, y) => x * y : (x, y) => x / y); }
        return v;
    };
    const sum = (): Value => {
        let v = product();
        while (peek() === "+" || peek() === "-") { const op = take(); const r = product(); v = zip(v, r, op === "+" ? (x, y) => x + y : (x, y) => x - y); }
        return v;
    };
    const comparison = (): Value => {
        const v = sum();
        if (peek() === "<" || peek() === ">") { const op = take(); const r = sum(); return zip(v, r, op === "<" ? (x, y) => Number(x < y) : (x, y) => Number(x > y)); }
        return v;
    };
    const result = series(comparison());
    assert.strictEqual(at, tokens.length, `unparsed rest of ${expression}`);
    return result;
}

/** Whether the alarm is in ALARM after these hourly-or-period datapoints of FreeStorageSpace (bytes). */
function alarms(d: AlarmDefinition, freeBytes: readonly number[]): boolean {
    const values = evaluate(d.expression ?? "m", freeBytes, d.period).filter((v) => !Number.isNaN(v));
    const last = values.slice(-d.evaluationPeriods);
    const breaching = last.filter((v) => (d.comparisonOperator === "LessThanThreshold" ? v < d.threshold : v <= d.threshold)).length;
    return last.length === d.evaluationPeriods && breaching >= d.datapointsToAlarm;
}

/** Free storage sampled once per `period`: `start` GiB changing by `perPeriodGib` each time. */
function freeSeries(count: number, start: number, perPeriodGib: number): number[] {
    return Array.from({ length: count }, (_, i) => (start + i * perPeriodGib) * GIB);
}

describe("free-storage alarm semantics", () => {
    const prod = { prefix: "pg-backup-prod", database: "orders", instanceIdentifier: "pg-backup-prod-orders" };

    it("a fixed allocation alarms below 20 % of it", () => {
        // given 200 GiB allocated and no autoscaling
        const d = freeStorageAlarm({ ...prod, allocatedStorageGb: 200 });
        const steady = (gib: number): number[] => Array.from({ length: 3 }, () => gib * GIB);
        // then 39 GiB free (19.5 %) alarms, 41 GiB (20.5 %) does not
        assert.strictEqual(alarms(d, steady(39)), true);
        assert.strictEqual(alarms(d, steady(41)), false);
    });

    describe("with storage autoscaling from 200 to 1000 GiB (the current allocation is no CloudWatch metric)", () => {
        const d = freeStorageAlarm({ ...prod, allocatedStorageGb: 200, maxAllocatedStorageGb: 1000 });

        it("at the maximum, 300 GiB free (30 %) shrinking 15 GiB an hour runs out within a day: it alarms, long before 4 % free", () => {
            // given hourly datapoints at the 1000 GiB maximum
            const free = freeSeries(5, 360, -15);
            // then it alarms while 20 % of the initial allocation (40 GiB) is far away
            assert.ok((free.at(-1) ?? 0) > 0.2 * 1000 * GIB);
            assert.strictEqual(alarms(d, free), true);
        });

        it("little free space that no longer shrinks, or shrinks by less than a day's worth, does not alarm", () => {
            assert.strictEqual(alarms(d, freeSeries(5, 30, 0)), false);
            assert.strictEqual(alarms(d, freeSeries(5, 100, -1)), false);
        });

        it("an autoscaling step (free space jumps up) ends the forecast", () => {
            // given free space shrinking fast, then grown by RDS in the last hour
            const free = [...freeSeries(4, 60, -15), 200 * GIB];
            assert.strictEqual(alarms(d, free), false);
        });
    });
});
