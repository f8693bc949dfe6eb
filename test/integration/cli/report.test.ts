import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runReport } from "../../../cli/report";
import { ROOT } from "../../helpers/stackFiles";

/**
 * The HTML report in a real browser: Debian's headless Chromium loads the page written by
 * `report --format html`, and the DOM it built must hold the retention picture with its tier
 * elements while the browser logs no console error and no failed load.
 */

const CHROMIUM = process.env["CHROMIUM"] ?? "/usr/bin/chromium";
const PROD = path.join(ROOT, "Pulumi.prod.yaml");

interface Loaded {
    readonly dom: string;
    /** Console messages and failed loads the browser logged. */
    readonly errors: readonly string[];
}

function chromium(dir: string, args: readonly string[]): { stdout: string; stderr: string } {
    const profile = fs.mkdtempSync(path.join(dir, "profile-"));
    const r = spawnSync(
        CHROMIUM,
        [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            `--user-data-dir=${profile}`,
            "--enable-logging=stderr",
            "--v=0",
            ...args,
        ],
        { encoding: "utf8", timeout: 90_000 },
    );
    if (r.error !== undefined) throw r.error;
    assert.equal(r.status, 0, `chromium exited ${String(r.status)}: ${r.stderr}`);
    return { stdout: r.stdout, stderr: r.stderr };
}

/** Loads a file and returns the DOM Chromium built, with every console message and failed load it logged. */
function load(dir: string, file: string): Loaded {
    const { stdout, stderr } = chromium(dir, ["--dump-dom", `file://${file}`]);
    const errors = stderr.split("\n").filter((line) => /:CONSOLE[:(]|Uncaught|Failed to load resource|net::ERR_/.test(line));
    return { dom: stdout, errors };
}

describe("HTML audit report in headless Chromium", function () {
    this.timeout(240_000);
    let dir: string;

    before(function () {
        assert.ok(
            fs.existsSync(CHROMIUM),
            `${CHROMIUM} not found: the HTML report is checked in Debian's headless Chromium; install it with \`apt-get install -y chromium\` (or set CHROMIUM to its path)`,
        );
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-html-"));
    });

    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("notices a console error (the check below is not blind)", () => {
        const page = path.join(dir, "noisy.html");
        fs.writeFileSync(page, `<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body><script>console.error("broken")</script></body></html>`);
        const loaded = load(dir, page);
        assert.ok(loaded.errors.some((e) => e.includes("broken")), `expected the console error in: ${loaded.errors.join("\n")}`);
    });

    it("shows the summary box and the retention picture with its tiers, and logs no error", async () => {
        // given the prod report written as HTML, and its Markdown with the picture beside it
        const html = path.join(dir, "prod.html");
        const out: string[] = [];
        const code = await runReport([PROD, "--format", "html", "--out", html], { out: (t) => void out.push(t), err: (l) => void out.push(l) });
        assert.equal(code, 0, out.join("\n"));
        const md = path.join(dir, "prod.md");
        assert.equal(await runReport([PROD, "--out", md], { out: () => undefined, err: () => undefined }), 0);
        // when Chromium loads the page and the standalone picture
        const page = load(dir, html);
        const picture = load(dir, path.join(dir, "prod-retention.svg"));
        // then the summary answers the six questions and the SVG is there with one group per tier
        assert.deepEqual(page.errors, []);
        assert.deepEqual(picture.errors, []);
        for (const question of ["RPO", "RTO", "Retention", "Immutability", "Copies", "Restore testing"]) assert.match(page.dom, new RegExp(`<dt>${question}</dt>`));
        assert.match(page.dom, /<svg[^>]*class="retention-timeline"/);
        for (const tier of ["daily", "weekly", "monthly"]) assert.match(page.dom, new RegExp(`<g class="tier" data-tier="${tier}">`));
        assert.equal((page.dom.match(/<rect class="storage-class"/g) ?? []).length, 1 + 2 + 4);
        assert.equal((page.dom.match(/<rect class="lock" data-mode="COMPLIANCE"/g) ?? []).length, 3);
        assert.match(page.dom, /<g class="pitr" data-database="orders">/);
        // and the standalone SVG parses as XML (Chromium shows a parser error page otherwise)
        assert.doesNotMatch(picture.dom, /This page contains the following errors/);
        assert.match(picture.dom, /<g class="tier" data-tier="monthly">/);
        // and a screenshot renders
        const png = path.join(dir, "prod.png");
        chromium(dir, ["--window-size=1100,1400", `--screenshot=${png}`, `file://${html}`]);
        assert.ok(fs.statSync(png).size > 10_000, "the screenshot is nearly empty");
    });
});
