import { strict as assert } from "node:assert";
import { cpus } from "node:os";
import { parseBenchArgs, type BenchOptions } from "../../../cli/bench/args";
import { pgbenchScale } from "../../../cli/bench/data";
import { lambdaHeapFlags, withMachineLoad } from "../../../cli/bench/measure";
import { computeFigures, renderChart, renderTable, spread, type BenchMeasurements } from "../../../cli/bench/report";
import { barChartSvg } from "../../../cli/bench/chart";
import { realisticInsertSql, realisticTableDdl } from "../../../cli/embedded/realisticData";

const MB = 1024 * 1024;

const MEASURED: BenchMeasurements = {
    databaseBytes: 1000 * MB,
    ceilingSeconds: 10,
    bareSeconds: 10.2,
    plainDumpSeconds: 16,
    plainUploadSeconds: 4,
    plainBytes: 120 * MB,
    oursSeconds: 10.5,
    oursBytes: 150 * MB,
    oursPeakRssBytes: 96 * MB,
    oursBaselineRssBytes: 60 * MB,
    oursCpuSeconds: 6.5,
    bareCpuSeconds: 2,
    oursMachine: { busy: 0.9714, cpuSeconds: 20.4, cores: 2 },
    bareMachine: { busy: 0.83, cpuSeconds: 16.93, cores: 2 },
    ceilingMachine: undefined,
    restoreSerialSeconds: 30,
    restoreParallelSeconds: 18,
    jobs: 4,
    rowCountsMatch: true,
    tablePages: 128_000,
    ceilingBlocks: 131_000,
    oursBlocks: 133_120,
    directory: [
        { jobs: 1, seconds: 10.5, bytes: 150 * MB, peakRssBytes: 90 * MB, blocks: 133_000, cpuSeconds: 6, machine: { busy: 0.95, cpuSeconds: 19.95, cores: 2 }, ceilingSeconds: 10.2, ceilingMachine: { busy: 0.6, cpuSeconds: 12.24, cores: 2 } },
        { jobs: 2, seconds: 7, bytes: 150 * MB, peakRssBytes: 110 * MB, blocks: 134_400, cpuSeconds: 6.2, machine: undefined, ceilingSeconds: 6.25, ceilingMachine: undefined },
    ],
    rounds: [
        { bareSeconds: 10.2, oursSeconds: 10.5, directorySeconds: [10.5, 7] },
        { bareSeconds: 11, oursSeconds: 10.6, directorySeconds: [11, 7.5] },
        { bareSeconds: 10.4, oursSeconds: 11.6, directorySeconds: [11.2, 7.2] },
    ],
};

const OPTIONS: BenchOptions = {
    sizeMb: 1024, jobs: 4, dumpJobs: 4, dumpFormat: "custom", compression: { method: "gzip", level: 1 }, partSizeMb: 16, uploadConcurrency: 2, repeat: 3,
    dataset: "realistic", tables: 4, memoryMb: 1024, chart: ".bench/bench.svg",
};

describe("bench arguments", () => {
    it("default to a 1 GB database, gzip:1, 16 MiB parts, and as many jobs as CPUs (at least two)", () => {
        // given no arguments on a one-CPU and an eight-CPU machine
        // when parsed
        // then
        assert.deepEqual(parseBenchArgs([], 1), {
            sizeMb: 1024, jobs: 2, dumpJobs: 2, dumpFormat: "custom", compression: { method: "gzip", level: 1 }, partSizeMb: 16, uploadConcurrency: 2, repeat: 3,
            dataset: "realistic", tables: 4, memoryMb: 1024, chart: ".bench/bench.svg",
        });
        assert.deepEqual([(parseBenchArgs([], 8) as BenchOptions).jobs, (parseBenchArgs([], 8) as BenchOptions).dumpJobs], [8, 8]);
        assert.equal((parseBenchArgs([], 32) as BenchOptions).dumpJobs, 16, "pg_dump jobs stop at the dump's own limit");
    });

    it("read every option in both spellings", () => {
        // given options as --flag value and --flag=value
        // when parsed
        const o = parseBenchArgs(["--size-mb", "3072", "--jobs=6", "--compression", "none", "--part-size-mb=32", "--upload-concurrency", "3", "--repeat", "5"], 2);
        // then
        assert.deepEqual(o, { ...OPTIONS, sizeMb: 3072, jobs: 6, dumpJobs: 6, compression: { method: "none", level: 0 }, partSizeMb: 32, uploadConcurrency: 3, repeat: 5 });
        assert.deepEqual(
            (({ dumpJobs, dumpFormat }): unknown => [dumpJobs, dumpFormat])(parseBenchArgs(["--dump-jobs", "3", "--dump-format=directory"], 2) as BenchOptions),
            [3, "directory"],
        );
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
            [["--dump-jobs", "17"], /--dump-jobs: 17 is out of range 1\.\.16/],
            [["--dump-format", "tar"], /--dump-format: "tar" is not allowed; expected custom or directory/],
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

    it("compare the directory-format rows with our single stream, and blocks with the tables' pages", () => {
        // given a single stream of 10.5 s and directory dumps of 10.5 s (1 job) and 7 s (2 jobs)
        const f = computeFigures(MEASURED);
        // then each jobs count has its throughput, speed-up, peak RSS, CPU seconds, the machine's load (when known), blocks per page,
        // and pg_dump's own time with as many jobs to local disk against pg_dump -Fc's 10 s
        assert.deepEqual(f.directory, [
            {
                jobs: 1, seconds: 10.5, mbPerSecond: 95.2, sizeMb: 150, peakRssMb: 90, toSingleStream: 1, blocksPerPage: 1.039, cpuSeconds: 6,
                machine: { busy: 0.95, cpuSeconds: 19.95 }, toSingleStreamAtMost: 1.053,
                ceilingSeconds: 10.2, ceilingToSingleCeiling: 0.98, ceilingMachine: { busy: 0.6, cpuSeconds: 12.24 }, toSingleStreamRounds: { min: 0.964, median: 1, max: 1.036 },
            },
            {
                jobs: 2, seconds: 7, mbPerSecond: 142.9, sizeMb: 150, peakRssMb: 110, toSingleStream: 1.5, blocksPerPage: 1.05, cpuSeconds: 6.2,
                machine: undefined, toSingleStreamAtMost: undefined,
                ceilingSeconds: 6.25, ceilingToSingleCeiling: 1.6, ceilingMachine: undefined, toSingleStreamRounds: { min: 1.413, median: 1.5, max: 1.611 },
            },
        ]);
        assert.deepEqual(f.blocks, { tablePages: 128_000, ceilingPerPage: 1.023, oursPerPage: 1.04 });
        assert.throws(() => computeFigures({ ...MEASURED, directory: [{ jobs: 3, seconds: 0, bytes: 1, peakRssBytes: 1, blocks: 1, cpuSeconds: 1, machine: undefined, ceilingSeconds: 1, ceilingMachine: undefined }] }), /directory with 3 jobs: 0 s cannot give a throughput/);
        assert.throws(() => computeFigures({ ...MEASURED, directory: [{ jobs: 2, seconds: 1, bytes: 1, peakRssBytes: 1, blocks: 1, cpuSeconds: 1, machine: undefined, ceilingSeconds: 0, ceilingMachine: undefined }] }), /directory ceiling with 2 jobs: 0 s cannot give a throughput/);
    });

    it("give each ratio's spread within the rounds, each round's modes against each other, besides the fastest runs' ratio", () => {
        // given three rounds in which ours against the bare stream was 0.971x, 1.038x and 0.897x
        const f = computeFigures(MEASURED);
        // then the spread is their lowest, median and highest, while the headline compares the fastest runs
        assert.deepEqual(f.oursToBareRounds, { min: 0.897, median: 0.971, max: 1.038 });
        assert.equal(f.oursToBare, 0.971);
        // and an even count's median is the mean of the middle two
        assert.deepEqual(spread([4, 1, 3, 2]), { min: 1, median: 2.5, max: 4 });
        assert.throws(() => spread([]), /at least one value/);
        // and a round without a usable time is named
        assert.throws(() => computeFigures({ ...MEASURED, rounds: [] }), /measurement rounds: none/);
        assert.throws(() => computeFigures({ ...MEASURED, rounds: [{ bareSeconds: 1, oursSeconds: 0, directorySeconds: [1, 1] }] }), /rounds\[0\]\.oursSeconds: 0 s cannot give a ratio/);
        assert.throws(() => computeFigures({ ...MEASURED, rounds: [{ bareSeconds: 1, oursSeconds: 1, directorySeconds: [1] }] }), /rounds\[0\]: no directory-format time with 2 jobs/);
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
        const table = renderTable(f, OPTIONS);
        // then each step is there with its numbers
        const lines = table.split("\n");
        assert.equal(lines.length, 13);
        assert.match(table, /pg_dump -Fd, 2 jobs, to local disk\s+6\.25\s+160\.0\s+directory ceiling: 1\.600x pg_dump -Fc/);
        assert.match(lines[0] ?? "", /128000 table pages/);
        assert.match(lines[0] ?? "", /realistic dataset, requested 1024 MB in 4 tables, 128000 table pages\); Lambda heap flags for 1024 MB/);
        assert.match(table, /pg_dump -Fc > \/dev\/null \(ceiling\)\s+10\.00\s+100\.0/);
        assert.match(table, /pg_dump -Fc \| S3 upload \(bare stream\)\s+10\.20\s+98\.0 .*2\.00 CPU-s in the uploading process, machine 83 % busy, 16\.93 CPU-s/);
        assert.match(table, /our dump pipeline to S3\s+10\.50\s+95\.2 .*database 6\.67:1\), 0\.971x bare stream \(rounds 0\.897-1\.038x, median 0\.971x\), 0\.952x ceiling, 1\.90x faster than plain, peak RSS 96\.0 MB/);
        assert.match(table, /pg_restore, 4 jobs\s+18\.00/);
        assert.match(table, /peak RSS 96\.0 MB, 6\.50 CPU-s, machine 97 % busy, 20\.40 CPU-s, 1\.040 blocks per table page/);
        assert.match(table, /our dump, directory format, 2 jobs\s+7\.00\s+142\.9\s+150\.0 MB, 1\.500x ours single-stream \(rounds 1\.413-1\.611x, median 1\.500x\), peak RSS 110\.0 MB, 6\.20 CPU-s, 1\.050 blocks per table page/);
        assert.match(table, /our dump, directory format, 1 job\s+10\.50 .*6\.00 CPU-s, machine 95 % busy, 19\.95 CPU-s, at most 1\.053x single-stream on 2 cores for that work, 1\.039 blocks/);
        assert.match(table, /pg_dump -Fd, 1 job, to local disk\s+10\.20\s+98\.0\s+directory ceiling: 0\.980x pg_dump -Fc, machine 60 % busy, 12\.24 CPU-s/);
    });
});

describe("bench dataset, heap flags and chart", () => {
    it("read the dataset, tables, database URL, memory and chart options, and refuse bad ones", () => {
        // given the new options
        const o = parseBenchArgs(["--dataset", "pgbench", "--tables=8", "--database-url", "postgres://u@db.example.com/app", "--memory-mb", "3008", "--chart", "out/c.svg"], 2);
        // then they are read
        assert.deepEqual(o !== "help" && [o.dataset, o.tables, o.databaseUrl, o.memoryMb, o.chart], ["pgbench", 8, "postgres://u@db.example.com/app", 3008, "out/c.svg"]);
        // and bad ones are named
        assert.throws(() => parseBenchArgs(["--dataset", "tpch"]), /--dataset: "tpch" is not allowed; expected realistic or pgbench/);
        assert.throws(() => parseBenchArgs(["--tables", "0"]), /--tables: 0 is out of range 1\.\.64/);
        assert.throws(() => parseBenchArgs(["--database-url", "mysql://x"]), /--database-url: expected a postgres:\/\/ URL/);
        assert.throws(() => parseBenchArgs(["--memory-mb", "64"]), /--memory-mb: 64 is out of range 128\.\.10240/);
    });

    it("read the machine's load from /proc/stat around what they measure: some, never more than all, in CPU seconds of all cores", async () => {
        // given 300 ms of a busy loop on this thread
        const { value, machine } = await withMachineLoad(async () => {
            const until = Date.now() + 300;
            let spins = 0;
            while (Date.now() < until) spins++;
            return spins;
        });
        // then the value comes back, at least one core's share of the machine was busy,
        // and the busy CPU seconds are at least the loop's 0.3 s and at most all cores for as long
        assert.ok(value > 0);
        assert.ok(machine !== undefined, "/proc/stat is read");
        assert.equal(machine.cores, cpus().length);
        assert.ok(machine.busy > 0.9 / cpus().length && machine.busy <= 1, String(machine.busy));
        assert.ok(machine.cpuSeconds >= 0.27 && machine.cpuSeconds <= 0.4 * cpus().length, String(machine.cpuSeconds));
    });

    it("give the measured process the Lambda runtime's heap flags for the memory", () => {
        assert.deepEqual(lambdaHeapFlags(1024), ["--max-old-space-size=922", "--max-semi-space-size=51"]);
        assert.deepEqual(lambdaHeapFlags(3008), ["--max-old-space-size=2707", "--max-semi-space-size=150"]);
    });

    it("generate similar tables with a key, an index and every kind of column the rows need", () => {
        const ddl = realisticTableDdl("orders_01");
        assert.match(ddl, /id bigint PRIMARY KEY/);
        assert.match(ddl, /CREATE INDEX orders_01_created_at/);
        for (const type of ["uuid", "text", "numeric\\(12,2\\)", "timestamptz", "jsonb"]) assert.match(ddl, new RegExp(type));
        assert.match(realisticInsertSql("orders_01", 1, 50_000), /generate_series\(1, 50000\)/);
    });

    it("draw one bar per mode, scaled to the fastest, labels escaped", () => {
        // given figures
        const svg = renderChart(computeFigures(MEASURED), OPTIONS);
        // then every mode has a bar, the fastest spans the full width
        const widths = [...svg.matchAll(/<rect class="bar [a-z]+" x="\d+" y="\d+" width="(\d+)"/g)].map((m) => Number(m[1]));
        assert.equal(widths.length, 10);
        assert.match(svg, /ours, directory format, 2 jobs: 142\.9 MB\/s/);
        assert.match(svg, /pg_dump -Fd, 2 jobs, to disk: 160\.0 MB\/s/);
        assert.equal(Math.max(...widths), 420);
        assert.match(svg, /our dump pipeline to S3: 95\.2 MB\/s/);
        assert.match(barChartSvg("a < b", [{ label: "x & y", mbPerSecond: 1, kind: "other" }]), /a &lt; b.*|x &amp; y/s);
        assert.throws(() => barChartSvg("t", [{ label: "bad", mbPerSecond: Number.NaN, kind: "other" }]), /bad: NaN MB\/s/);
    });
});
