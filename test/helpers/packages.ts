import * as fs from "fs";
import { builtinModules } from "module";
import * as path from "path";
import * as ts from "typescript";

/** The fields of a package.json the packaging tests read. */
export interface Manifest {
    readonly name: string;
    readonly private?: boolean;
    readonly bin?: Readonly<Record<string, string>>;
    readonly scripts?: Readonly<Record<string, string>>;
    readonly workspaces?: readonly string[];
    readonly dependencies?: Readonly<Record<string, string>>;
    readonly devDependencies?: Readonly<Record<string, string>>;
    readonly peerDependencies?: Readonly<Record<string, string>>;
    readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>;
}

export function readManifest(dir: string): Manifest {
    return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as Manifest;
}

/** One package a source file imports: by value (needed at run time) or for its types only. */
export interface PackageImport {
    readonly name: string;
    readonly typeOnly: boolean;
    readonly file: string;
}

/** `@scope/name` or `name` of a bare module specifier; undefined for relative paths and Node's built-ins. */
export function packageName(specifier: string): string | undefined {
    if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:")) return undefined;
    const parts = specifier.split("/");
    const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
    return builtinModules.includes(name) ? undefined : name;
}

interface Reference {
    readonly specifier: string;
    readonly typeOnly: boolean;
}

/** Module references of one file: imports, re-exports, `import()`, `require()`, `require.resolve()` and `import("x")` types. */
function references(file: string): Reference[] {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true, file.endsWith(".js") ? ts.ScriptKind.JS : ts.ScriptKind.TS);
    const found: Reference[] = [];
    const visit = (node: ts.Node): void => {
        if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
            const clause = node.importClause;
            const typeOnly = clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && clause.namedBindings !== undefined &&
                ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
            found.push({ specifier: node.moduleSpecifier.text, typeOnly });
        } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
            found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
        } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
            found.push({ specifier: node.argument.literal.text, typeOnly: true });
        } else if (ts.isCallExpression(node) && node.arguments.length === 1) {
            const [arg] = node.arguments;
            const callee = node.expression;
            const isLoad = callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === "require") ||
                (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "require" && callee.name.text === "resolve");
            if (isLoad && arg !== undefined && ts.isStringLiteral(arg)) found.push({ specifier: arg.text, typeOnly: false });
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
}

/** The file a relative specifier names, as TypeScript and Node resolve it (`x.ts`, `x.js`, `x/index.ts`). */
function resolveRelative(from: string, specifier: string): string | undefined {
    const base = path.resolve(path.dirname(from), specifier);
    return [base, `${base}.ts`, `${base}.js`, path.join(base, "index.ts")].find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
}

/** Every `.ts`/`.js` file under a directory, skipping the given directory names. */
export function sourceFiles(dir: string, skip: readonly string[] = ["node_modules", "bin", "dist"]): string[] {
    const out: string[] = [];
    const visit = (d: string, depth: number): void => {
        if (depth > 20) throw new RangeError(`${d}: directories nested too deep`);
        for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
            const full = path.join(d, entry.name);
            if (entry.isDirectory()) {
                if (!skip.includes(entry.name)) visit(full, depth + 1);
            } else if (/\.(ts|js)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
                out.push(full);
            }
        }
    };
    visit(dir, 0);
    return out.sort();
}

/**
 * The packages a set of files import, following relative imports (into other directories too,
 * as a compiler would), and the files that closure reached.
 */
export function packageImports(entries: readonly string[]): { imports: PackageImport[]; files: string[] } {
    const seen = new Set<string>();
    const imports: PackageImport[] = [];
    const queue = [...entries];
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
        if (seen.has(file)) continue;
        seen.add(file);
        for (const ref of references(file)) {
            const name = packageName(ref.specifier);
            if (name !== undefined) {
                imports.push({ name, typeOnly: ref.typeOnly, file });
            } else if (ref.specifier.startsWith(".")) {
                const target = resolveRelative(file, ref.specifier);
                if (target === undefined) throw new Error(`${file}: cannot resolve ${ref.specifier}`);
                if (!target.endsWith(".json")) queue.push(target);
            }
        }
    }
    return { imports, files: [...seen].sort() };
}

/** Packages imported by value (needed at run time), and those imported for their types only. */
export function byUse(imports: readonly PackageImport[]): { value: Set<string>; typeOnly: Set<string> } {
    const value = new Set(imports.filter((i) => !i.typeOnly).map((i) => i.name));
    const typeOnly = new Set(imports.filter((i) => i.typeOnly && !value.has(i.name)).map((i) => i.name));
    return { value, typeOnly };
}

/** The DefinitelyTyped package of a package's types: `@types/pg`, `@types/scope__name`. */
export function typesPackage(name: string): string {
    return `@types/${name.startsWith("@") ? name.slice(1).replace("/", "__") : name}`;
}

/** The command names a script line runs (first word of each `&&`, `||`, `;` or `|` segment). */
export function scriptCommands(scripts: Readonly<Record<string, string>>): Set<string> {
    return new Set(Object.values(scripts).flatMap((line) => line.split(/&&|\|\||;|\|/).map((part) => part.trim().split(/\s+/)[0] ?? "").filter((c) => c !== "")));
}

/** The names a package installs as commands (its package.json `bin`), from the installed copy. */
export function binNames(root: string, name: string): string[] {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")) as { bin?: string | Record<string, string> };
    if (manifest.bin === undefined) return [];
    return typeof manifest.bin === "string" ? [name.split("/").pop() ?? name] : Object.keys(manifest.bin);
}

/** `compilerOptions.types` of a tsconfig (JSON with comments), following `extends` within the repository. */
export function tsconfigTypes(file: string): string[] {
    const parsed = ts.readConfigFile(file, (f) => fs.readFileSync(f, "utf8"));
    if (parsed.error !== undefined) throw new Error(`${file}: ${ts.flattenDiagnosticMessageText(parsed.error.messageText, "\n")}`);
    const config = parsed.config as { extends?: string; compilerOptions?: { types?: string[] } };
    if (config.compilerOptions?.types !== undefined) return config.compilerOptions.types;
    return config.extends !== undefined ? tsconfigTypes(path.resolve(path.dirname(file), config.extends)) : [];
}
