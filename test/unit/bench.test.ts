import { strict as assert } from "node:assert";
import { computeFigures, parseBenchArgs, pgbenchScale, renderTable, type BenchMeasurements } from "../../cli/bench";

const MB = 1024 * 1024;

const MEASURED: BenchMeasurements = {
    databaseBytes: 1000 * MB,
    ceilingSeconds: 10,
    plainDumpSeconds: 16,
    plainUploadSeconds: 4,
    plainBytes: 120 * MB,
    oursSeconds: 10.5,
    oursBytes: 150 * MB,
    oursPeakRssBytes: 96 * MB,
    oursBaselineRssBytes: 60 * MB,
    restoreSerialSeconds: 30,
    restoreParallelSeconds: 18,
    jobs: 4,
    rowCountsMatch: true,
};

describe("bench arguments", () => {
    it("default to a 1 GB database, gzip:1, 16 MiB parts and at least two restore jobs", () => {
        // given no arguments on a one-CPU and an eight-CPU machine
        // when parsed
        // then
        assert.deepEqual(parseBenchArgs([], 1), { sizeMb: 1024, jobs: 2, compression: { method: "gzip", level: 1 }, partSizeMb: 16, uploadConcurrency: 2, repeat: 3 });
        assert.equal((parseBenchArgs([], 8) as { jobs: number }).jobs, 4);
    });

    it("read every option in both spellings", () => {
        // given options as --flag value and --flag=value
        // when parsed
        const o = parseBenchArgs(["--size-mb", "3072", "--jobs=6", "--compression", "none", "--part-size-mb=32", "--upload-concurrency", "3", "--repeat", "5"], 2);
        // then
        assert.deepEqual(o, { sizeMb: 3072, jobs: 6, compression: { method: "none", level: 0 }, partSizeMb: 32, uploadConcurrency: 3, repeat: 5 });
        assert.equal(parseBenchArgs(["--help"]), "help");
    });

    it("name the option and the allowed range on bad input", () => {
        // given bad arguments
        const cases: [string[], RegExp][] = [
            [["--size-mb", "8"], /--size-mb: 8 is out of range 16\.\.102400/],
            [["--size-mb"], /--size-mb: missing value/],
            [["--jobs", "two"], /--jobs: "two" is not an integer; expected 1\.\.64/],
            [["--compression", "brotli"], /--compression: "brotli" is not allowed/],
            [["--part-size-mb", "4"], /--part-size-mb: 4 is out of range 5\.\.5120/],
            [["--repeat", "0"], /--repeat: 0 is out of range 1\.\.20/],
            [["--fast"], /unknown option "--fast"/],
        ];
        for (const [args, message] of cases) {
            // when parsed
            // then
            assert.throws(() => parseBenchArgs(args), message, args.join(" "));
        }
    });

    it("pick a pgbench scale that grows with the requested size", () => {
        // given sizes
        // when converted
        // then about 15 MB per scale unit above a small base, never below 1
        assert.equal(pgbenchScale(16), 1);
        assert.equal(pgbenchScale(1024), 68);
        assert.equal(pgbenchScale(3072), 204);
    });
});

describe("bench figures", () => {
    it("compute throughput against the database size and the ratios from the measured times", () => {
        // given measurements of a 1000 MB database
        // when the figures are computed
        const f = computeFigures(MEASURED);
        // then throughputs are database MB per second and the ratios compare times
        assert.equal(f.databaseMb, 1000);
        assert.equal(f.ceiling.mbPerSecond, 100);
        assert.equal(f.ours.mbPerSecond, 95.2);
        assert.equal(f.oursToCeiling, 0.952);
        assert.equal(f.plain.seconds, 20);
        assert.equal(f.plain.mbPerSecond, 50);
        assert.equal(f.speedupOverPlain, 1.9);
        assert.equal(f.ours.peakRssMb, 96);
        assert.deepEqual(f.restore, { serialSeconds: 30, parallelSeconds: 18, jobs: 4, rowCountsMatch: true });
    });

    it("refuse measurements that cannot give a throughput", () => {
        // given a zero or negative time
        // when computed
        // then the measurement is named
        assert.throws(() => computeFigures({ ...MEASURED, oursSeconds: 0 }), /oursSeconds: 0 s cannot give a throughput/);
        assert.throws(() => computeFigures({ ...MEASURED, plainUploadSeconds: -1 }), /plainUploadSeconds: -1 is not a non-negative number/);
    });

    it("render one table row per measured step with the key figures", () => {
        // given figures
        const f = computeFigures(MEASURED);
        // when rendered
        const table = renderTable(f, { sizeMb: 1024, jobs: 4, compression: { method: "gzip", level: 1 }, partSizeMb: 16, uploadConcurrency: 2, repeat: 3 });
        // then each step is there with its numbers
        const lines = table.split("\n");
        assert.equal(lines.length, 8);
        assert.match(table, /pg_dump -Fc > \/dev\/null \(ceiling\)\s+10\.00\s+100\.0/);
        assert.match(table, /our dump pipeline to S3\s+10\.50\s+95\.2 .*0\.952x ceiling, 1\.90x faster than plain, peak RSS 96\.0 MB/);
        assert.match(table, /pg_restore, 4 jobs\s+18\.00/);
    });
});
