import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");

function tsFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const file = path.join(dir, e.name);
        return e.isDirectory() ? tsFiles(file) : file.endsWith(".ts") ? [file] : [];
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
});
