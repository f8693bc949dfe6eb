import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    Manifest, PackageImport, binNames, byUse, packageImports, readManifest, scriptCommands, sourceFiles, tsconfigTypes, typesPackage,
} from "../helpers/packages";

const ROOT = path.resolve(__dirname, "..", "..");
const LIBRARY = path.join(ROOT, "components");
const FUNCTIONS = path.join(ROOT, "lambdas");
const PROGRAM_DIRS = ["program", "config", "cli", "audit", "policy", "test"];

const isTest = (f: string): boolean => f.endsWith(".test.ts");
const inside = (dir: string) => (f: string): boolean => !path.relative(dir, f).startsWith("..");
const sorted = (names: Iterable<string>): string[] => [...new Set(names)].sort();
const declared = (...fields: (Readonly<Record<string, string>> | undefined)[]): Set<string> => new Set(fields.flatMap((f) => Object.keys(f ?? {})));

/**
 * What a package may declare besides the packages its sources need: the type packages of those
 * and of its tsconfig's `types`, what its build files import, and the packages whose commands
 * its scripts run.
 */
function devJustified(dir: string, manifest: Manifest, imported: readonly PackageImport[], devFiles: readonly string[], tsconfig: string): Set<string> {
    const commands = scriptCommands(manifest.scripts ?? {});
    const installedRoot = ROOT;
    const runsCommand = (name: string): boolean => fs.existsSync(path.join(installedRoot, "node_modules", name, "package.json")) && binNames(installedRoot, name).some((b) => commands.has(b));
    const all = declared(manifest.dependencies, manifest.devDependencies);
    return new Set([
        ...imported.map((i) => typesPackage(i.name)),
        ...tsconfigTypes(path.join(dir, tsconfig)).map(typesPackage),
        ...packageImports(devFiles).imports.map((i) => i.name),
        ...[...all].filter(runsCommand),
    ]);
}

describe("each package declares exactly the packages its sources import", () => {
    describe("the component library (components/, pg-backup-stack)", () => {
        const manifest = readManifest(LIBRARY);
        const sources = sourceFiles(LIBRARY, ["node_modules", "bin", "scripts"]).filter((f) => !isTest(f));
        const { imports, files } = packageImports(sources);

        it("declares as dependencies or peers every package it imports, for its code or its types, and nothing else", () => {
            // given what the library's sources (and the function modules they compile in) import
            const needed = sorted(imports.map((i) => i.name));
            // when compared with its runtime declarations
            // then they are the same: a consumer gets what the library loads and its .d.ts refer to, no more
            assert.deepStrictEqual(sorted(declared(manifest.dependencies, manifest.peerDependencies)), needed);
        });

        it("takes @pulumi/* as peers, optional for the clouds' providers, so that a program shares its own SDK and providers", () => {
            // given the library's manifest; when its declarations are read
            const peers = Object.keys(manifest.peerDependencies ?? {});
            // then every @pulumi package is a peer, never a dependency, and the ones only one cloud needs are optional
            assert.deepStrictEqual(Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith("@pulumi/")), []);
            assert.deepStrictEqual(sorted(peers), sorted(imports.filter((i) => i.name.startsWith("@pulumi/")).map((i) => i.name)));
            const optional = sorted(Object.entries(manifest.peerDependenciesMeta ?? {}).filter(([, m]) => m.optional === true).map(([n]) => n));
            assert.deepStrictEqual(optional, ["@pulumi/aws", "@pulumi/azure-native", "@pulumi/docker-build"]);
        });

        it("loads one cloud's provider from each cloud's entry point, so that the other cloud's peers stay optional", () => {
            // given the files each entry point reaches
            const reached = (entry: string): string[] => sorted(packageImports([path.join(LIBRARY, entry)]).imports.filter((i) => !i.typeOnly).map((i) => i.name));
            // when the packages they load are listed; then the AWS entry needs no Azure provider and the Azure entry no AWS one
            assert.deepStrictEqual(reached("aws/index.ts"), ["@pulumi/aws", "@pulumi/docker-build", "@pulumi/pulumi", "@pulumi/random"]);
            assert.deepStrictEqual(reached("azure/index.ts"), ["@pulumi/azure-native", "@pulumi/docker-build", "@pulumi/pulumi", "@pulumi/random"]);
        });

        it("declares as dev dependencies only what its build uses", () => {
            // given the library's dev dependencies and what its build script and tsconfig use
            const justified = devJustified(LIBRARY, manifest, imports, sourceFiles(path.join(LIBRARY, "scripts")), "tsconfig.json");
            // then each one is used
            assert.deepStrictEqual(Object.keys(manifest.devDependencies ?? {}).filter((d) => !justified.has(d)), []);
        });

        it("compiles in no function module but the ones the packed library ships", () => {
            // given the files outside components/ that the library's sources reach; then they are the shared tier names only
            assert.deepStrictEqual(files.filter((f) => !inside(LIBRARY)(f)).map((f) => path.relative(ROOT, f)), ["lambdas/shared/tiers.ts"]);
        });
    });

    describe("the functions (lambdas/, pg-backup-stack-functions)", () => {
        const manifest = readManifest(FUNCTIONS);
        const sources = sourceFiles(FUNCTIONS).filter((f) => !isTest(f));
        const { imports, files } = packageImports(sources);

        it("import nothing outside their package, since the image is built from it alone", () => {
            assert.deepStrictEqual(files.filter((f) => !inside(FUNCTIONS)(f)).map((f) => path.relative(ROOT, f)), []);
        });

        it("declare as dependencies exactly the packages their code imports", () => {
            // given the packages the functions load, and the ones they import for types that no @types package provides
            const { value, typeOnly } = byUse(imports);
            const dev = declared(manifest.devDependencies);
            const needed = sorted([...value, ...[...typeOnly].filter((n) => !dev.has(typesPackage(n)))]);
            // when compared with the dependencies; then none is missing and none is unused
            assert.deepStrictEqual(sorted(Object.keys(manifest.dependencies ?? {})), needed);
        });

        it("declare as dev dependencies only the compiler and type packages the build uses", () => {
            const justified = devJustified(FUNCTIONS, manifest, imports, [], "tsconfig.json");
            assert.deepStrictEqual(Object.keys(manifest.devDependencies ?? {}).filter((d) => !justified.has(d)), []);
        });
    });

    describe("the program (the repository root)", () => {
        const manifest = readManifest(ROOT);
        const library = readManifest(LIBRARY);
        const entries = [path.join(ROOT, "index.ts"), ...PROGRAM_DIRS.flatMap((d) => sourceFiles(path.join(ROOT, d)))];
        const { imports } = packageImports(entries);
        const own = imports.filter((i) => !inside(LIBRARY)(i.file) && !inside(FUNCTIONS)(i.file));

        it("declares every package its own sources and tests import; the workspaces declare theirs", () => {
            // given the packages imported outside components/ and lambdas/ (which declare their own)
            const { value, typeOnly } = byUse(own);
            const all = declared(manifest.dependencies, manifest.devDependencies);
            const needed = [...value, ...[...typeOnly].filter((n) => !all.has(typesPackage(n)))];
            // then each one is declared at the root
            assert.deepStrictEqual(needed.filter((n) => !all.has(n)).sort(), []);
        });

        it("declares nothing it does not use: its imports, their types, the library's peers, the tools its scripts run", () => {
            // given what the program imports, the peers it installs as the library's consumer, and its tools
            const justified = devJustified(ROOT, manifest, own, [path.join(ROOT, "cli", "bin.js")], "tsconfig.json");
            for (const i of own) justified.add(i.name);
            for (const peer of Object.keys(library.peerDependencies ?? {})) justified.add(peer);
            // when compared with its declarations; then every one is justified
            assert.deepStrictEqual([...declared(manifest.dependencies, manifest.devDependencies)].filter((d) => !justified.has(d)).sort(), []);
        });

        it("installs what `pulumi up` loads without dev dependencies", () => {
            // given the packages the Pulumi program (index.ts) loads, through the library and function modules too
            const loaded = byUse(packageImports([path.join(ROOT, "index.ts")]).imports).value;
            // when `npm ci --omit=dev` installs the root's, the workspaces' and the library's required peers
            const functions = readManifest(FUNCTIONS);
            const installed = declared(manifest.dependencies, library.dependencies, functions.dependencies);
            // then every one of them is there
            assert.deepStrictEqual([...loaded].filter((n) => !installed.has(n)).sort(), []);
        });

        it("is private, names the library and the functions as its workspaces, and runs the CLI as `pg-backup-stack`", () => {
            assert.strictEqual(manifest.private, true);
            assert.notStrictEqual(manifest.name, library.name);
            assert.deepStrictEqual(manifest.workspaces, ["components", "lambdas"]);
            assert.deepStrictEqual(manifest.bin, { "pg-backup-stack": "cli/bin.js" });
        });
    });
});

interface Lock {
    readonly packages: Readonly<Record<string, { readonly version?: string; readonly link?: boolean; readonly resolved?: string; readonly dependencies?: Record<string, string>; readonly devDependencies?: Record<string, string> }>>;
}

describe("the functions' lock, from which the image installs", () => {
    const lock = JSON.parse(fs.readFileSync(path.join(FUNCTIONS, "package-lock.json"), "utf8")) as Lock;
    const rootLock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as Lock;
    const manifest = readManifest(FUNCTIONS);

    // npm ci exits with an error when the lock does not match package.json (npm, npm ci:
    // https://docs.npmjs.com/cli/v11/commands/npm-ci), so a stale lock fails the image build.
    it("matches the functions' package.json (else `npm ci` in the image build fails): run `npm run lock:functions`", () => {
        const top = lock.packages[""];
        assert.deepStrictEqual(top?.dependencies ?? {}, manifest.dependencies ?? {});
        assert.deepStrictEqual(top?.devDependencies ?? {}, manifest.devDependencies ?? {});
    });

    it("pins the versions the root lock installs for the tests, so that the image runs what was tested", () => {
        // given every package the functions' lock pins
        const differing = Object.entries(lock.packages).filter(([key]) => key !== "").flatMap(([key, entry]) => {
            // when the root lock's entry at the same place (hoisted, or under the workspace) is looked up
            const rooted = rootLock.packages[key] ?? rootLock.packages[`lambdas/${key}`];
            // then it has the same version
            return rooted?.version === entry.version ? [] : [`${key}: ${entry.version ?? "?"} here, ${rooted?.version ?? "absent"} in the root lock`];
        });
        assert.deepStrictEqual(differing, []);
        assert.ok(Object.keys(lock.packages).length > 50, "the lock pins the transitive packages too");
    });

    it("the root lock installs both workspaces, linked", () => {
        for (const [name, dir] of [[readManifest(LIBRARY).name, "components"], [manifest.name, "lambdas"]] as const) {
            assert.deepStrictEqual(rootLock.packages[`node_modules/${name}`], { resolved: dir, link: true });
        }
    });
});
