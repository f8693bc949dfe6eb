import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");

/** Build outputs and installed packages (.gitignore): not sources, even where a build left them. */
const NOT_SOURCES = new Set(["bin", "dist", "node_modules"]);

function tsFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const file = path.join(dir, e.name);
        if (e.isDirectory()) return NOT_SOURCES.has(e.name) ? [] : tsFiles(file);
        return file.endsWith(".ts") ? [file] : [];
    });
}

/** Module specifiers of a file's `import ... from`, `export ... from`, `import("...")` and `require("...")`. */
function specifiers(source: string): string[] {
    const pattern = /\b(?:import|export)\s[^;]*?\bfrom\s*["']([^"']+)["']|\bimport\s*["']([^"']+)["']|\b(?:import|require)\s*\(\s*["']([^"']+)["']\s*\)/gs;
    return [...source.matchAll(pattern)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

/** `file -> target` for every relative import of a file under `from` that resolves into `into`. */
function importsInto(from: string, into: string): string[] {
    const target = path.join(ROOT, into) + path.sep;
    return tsFiles(path.join(ROOT, from)).flatMap((file) =>
        specifiers(fs.readFileSync(file, "utf8"))
            .filter((s) => s.startsWith("."))
            .filter((s) => (path.resolve(path.dirname(file), s) + path.sep).startsWith(target))
            .map((s) => `${path.relative(ROOT, file)} -> ${s}`));
}

/** The file a relative specifier names (`./x` -> `x.ts` or `x/index.ts`), or undefined for a package or a non-TypeScript file. */
function resolveImport(from: string, specifier: string): string | undefined {
    if (!specifier.startsWith(".")) return undefined;
    const base = path.resolve(path.dirname(from), specifier);
    return [`${base}.ts`, path.join(base, "index.ts"), base].find((f) => f.endsWith(".ts") && fs.existsSync(f));
}

/**
 * Every file-level import cycle (type-only imports included) among the given files, each as
 * the files of one strongly connected component of the import graph (Tarjan's algorithm).
 */
function importCycles(files: readonly string[]): string[][] {
    const within = new Set(files);
    const edges = new Map(files.map((f) => [f, [...new Set(specifiers(fs.readFileSync(f, "utf8")).map((s) => resolveImport(f, s)))].filter((t): t is string => t !== undefined && within.has(t))]));
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string): void => {
        index.set(v, index.size);
        low.set(v, index.get(v) ?? 0);
        stack.push(v);
        onStack.add(v);
        for (const w of edges.get(v) ?? []) {
            if (!index.has(w)) {
                visit(w);
                low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
            } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
        }
        if (low.get(v) !== index.get(v)) return;
        const component: string[] = [];
        for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) {
            onStack.delete(w);
            component.push(w);
        }
        if (component.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(component.map((f) => path.relative(ROOT, f)).sort());
    };
    for (const f of files) if (!index.has(f)) visit(f);
    return cycles;
}

/** Directories whose files may import each other but never in a circle. */
const ACYCLIC = ["audit", "config", "components", "lambdas", "cli"];

describe("import direction", () => {
    it("finds every form of import statement", () => {
        // given each way a module names another
        const source = [
            'import { a } from "../config/a";',
            'import type {\n  B,\n} from "../config/b";',
            'export { c } from "../config/c";',
            'export * from "../config/d";',
            'import "../config/e";',
            'const f = require("../config/f");',
            'const g = await import("../config/g");',
        ].join("\n");
        // then all are found
        assert.deepStrictEqual(specifiers(source), ["../config/a", "../config/b", "../config/c", "../config/d", "../config/e", "../config/f", "../config/g"]);
    });

    it("components/ imports nothing from config/: the configuration builds on the components, not the other way round", () => {
        assert.deepStrictEqual(importsInto("components", "config"), []);
    });

    it("lambdas/ imports nothing outside lambdas/: the functions' image is built from lambdas/ alone", () => {
        const outside = ["components", "config", "program", "audit", "cli", "policy", "test"].flatMap((dir) => importsInto("lambdas", dir));
        assert.deepStrictEqual(outside, []);
    });

    describe("no import cycle", () => {
        it("finds a cycle of two files, a longer one and a file importing itself, and no cycle in a chain", () => {
            // given a temporary tree: a <-> b (type-only), c -> d -> e -> c, f -> f, g -> h
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cycles-"));
            const write = (name: string, source: string): string => {
                const file = path.join(dir, `${name}.ts`);
                fs.writeFileSync(file, source);
                return file;
            };
            try {
                const files = [
                    write("a", 'import type { B } from "./b";'),
                    write("b", 'import { a } from "./a";'),
                    write("c", 'import "./d";'),
                    write("d", 'export * from "./e";'),
                    write("e", 'const c = require("./c");'),
                    write("f", 'import { f } from "./f";'),
                    write("g", 'import { h } from "./h";'),
                    write("h", 'import * as fs from "fs";'),
                ];
                // then exactly the three cycles are found
                const found = importCycles(files).map((c) => c.map((f) => path.basename(f, ".ts")).join(" ")).sort();
                assert.deepStrictEqual(found, ["a b", "c d e", "f"]);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it(`no file-level import cycle in ${ACYCLIC.join("/, ")}/ (type-only imports count)`, () => {
            const files = ACYCLIC.flatMap((dir) => tsFiles(path.join(ROOT, dir)));
            assert.ok(files.length > 100, `only ${files.length} files read`);
            assert.deepStrictEqual(importCycles(files), []);
        });
    });
});
