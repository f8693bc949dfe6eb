/**
 * docs/configuration.md, from the zod schema of the stack file (config/schema.ts and
 * config/sections/*.ts): key paths, types and ranges, defaults from the schema itself, and
 * descriptions from the JSDoc comment above each key in the source. A key without its own
 * JSDoc, or without a `@default` tag stating the schema's default, is a problem `npm run docs`
 * refuses.
 */
import * as ts from "typescript";
import type { z } from "zod";
import { stackConfigSchema } from "../../config/schema";
import { GENERATED_NOTE, cell, defaultTagText, jsDocText, parse } from "./jsdoc";

/** The source files the schema is written in, relative to the repository root. */
const SCHEMA_SOURCES = [
    "config/schema.ts",
    "config/sections/common.ts",
    "config/sections/chat.ts",
    "config/sections/functions.ts",
    "config/sections/rds.ts",
    "config/sections/azure.ts",
];

// ---------------------------------------------------------------------------------------------
// Descriptions: the leading JSDoc of each property of the z.strictObject({...}) literals.
// ---------------------------------------------------------------------------------------------

interface Declarations {
    readonly byName: ReadonlyMap<string, ts.Node>;
}

/** Top-level `const X = ...` and `function X(...)` declarations of the schema's files, by name. */
function declarations(files: readonly ts.SourceFile[]): Declarations {
    const byName = new Map<string, ts.Node>();
    const add = (name: string, node: ts.Node) => {
        if (byName.has(name)) {
            throw new Error(`schema sources declare ${name} twice; the documentation generator resolves names across files`);
        }
        byName.set(name, node);
    };
    for (const file of files) {
        for (const statement of file.statements) {
            if (ts.isVariableStatement(statement)) {
                for (const d of statement.declarationList.declarations) {
                    if (ts.isIdentifier(d.name)) add(d.name.text, d);
                }
            } else if (ts.isFunctionDeclaration(statement) && statement.name !== undefined) {
                add(statement.name.text, statement);
            }
        }
    }
    return { byName };
}

function isZCall(expr: ts.CallExpression, names: readonly string[]): boolean {
    const callee = expr.expression;
    return ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "z" && names.includes(callee.name.text);
}

/** `z.strictObject({...})`, possibly with chained methods: a named object schema, whose comment describes a key of that type. */
function isObjectSchema(expr: ts.Expression): boolean {
    let e = expr;
    while (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && !isZCall(e, ["strictObject", "object", "looseObject"])) {
        e = e.expression.expression;
    }
    return ts.isCallExpression(e) && isZCall(e, ["strictObject", "object", "looseObject"]);
}

interface Docs {
    /** Key path -> JSDoc of the property. */
    readonly keys: Map<string, string>;
    /** Key path -> JSDoc of the named schema the property's value is (e.g. tierSchema), if any. */
    readonly schemas: Map<string, string>;
    /** Key path -> text of the property's `@default` tag, for the properties that have one. */
    readonly defaults: Map<string, string>;
}

/** Walks a schema expression, recording the JSDoc of every object property under its key path. */
function collectDocs(expr: ts.Node, keyPath: string, decls: Declarations, docs: Docs, seen: ReadonlySet<ts.Node> = new Set()): void {
    if (seen.has(expr)) return;
    const next = new Set(seen).add(expr);
    if (ts.isParenthesizedExpression(expr) || ts.isAsExpression(expr)) {
        collectDocs(expr.expression, keyPath, decls, docs, next);
    } else if (ts.isIdentifier(expr)) {
        const decl = decls.byName.get(expr.text);
        if (decl !== undefined && ts.isVariableDeclaration(decl) && decl.initializer !== undefined) {
            const doc = jsDocText(decl);
            if (doc !== "" && isObjectSchema(decl.initializer) && !docs.schemas.has(keyPath)) docs.schemas.set(keyPath, doc);
            collectDocs(decl.initializer, keyPath, decls, docs, next);
        }
    } else if (ts.isArrowFunction(expr) || ts.isFunctionDeclaration(expr)) {
        const body = expr.body;
        if (body === undefined) return;
        if (ts.isBlock(body)) {
            body.forEachChild((s) => {
                if (ts.isReturnStatement(s) && s.expression !== undefined) collectDocs(s.expression, keyPath, decls, docs, next);
            });
        } else {
            collectDocs(body, keyPath, decls, docs, next);
        }
    } else if (ts.isCallExpression(expr)) {
        if (isZCall(expr, ["strictObject", "object", "looseObject"])) {
            const shape = expr.arguments[0];
            if (shape !== undefined && ts.isObjectLiteralExpression(shape)) {
                for (const prop of shape.properties) {
                    if (!ts.isPropertyAssignment(prop)) continue;
                    const key = ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name) ? prop.name.text : undefined;
                    if (key === undefined) continue;
                    const child = keyPath === "" ? key : `${keyPath}.${key}`;
                    docs.keys.set(child, jsDocText(prop));
                    const tag = defaultTagText(prop);
                    if (tag !== undefined) docs.defaults.set(child, tag);
                    collectDocs(prop.initializer, child, decls, docs, next);
                }
            }
        } else if (isZCall(expr, ["array"])) {
            const element = expr.arguments[0];
            if (element !== undefined) collectDocs(element, `${keyPath}[]`, decls, docs, next);
        } else if (ts.isPropertyAccessExpression(expr.expression)) {
            // a chained method (.optional(), .prefault(...), .min(...)): the schema it is called on
            if (!(ts.isIdentifier(expr.expression.expression) && expr.expression.expression.text === "z")) {
                collectDocs(expr.expression.expression, keyPath, decls, docs, next);
            }
        } else if (ts.isIdentifier(expr.expression)) {
            // a factory such as sizing(1024, 900, 512)
            const decl = decls.byName.get(expr.expression.text);
            if (decl !== undefined && ts.isVariableDeclaration(decl) && decl.initializer !== undefined) {
                collectDocs(decl.initializer, keyPath, decls, docs, next);
            } else if (decl !== undefined && ts.isFunctionDeclaration(decl)) {
                collectDocs(decl, keyPath, decls, docs, next);
            }
        }
    }
}

function schemaDocs(): Docs {
    const files = SCHEMA_SOURCES.map(parse);
    const decls = declarations(files);
    const root = decls.byName.get("stackConfigSchema");
    if (root === undefined || !ts.isVariableDeclaration(root) || root.initializer === undefined) {
        throw new Error("config/schema.ts no longer declares stackConfigSchema");
    }
    const docs: Docs = { keys: new Map(), schemas: new Map(), defaults: new Map() };
    collectDocs(root.initializer, "", decls, docs);
    return docs;
}

// ---------------------------------------------------------------------------------------------
// Types, ranges and defaults: the zod 4 schema's definitions.
// ---------------------------------------------------------------------------------------------

/* eslint-disable @typescript-eslint/no-explicit-any -- zod's internal definitions are untyped here */
type Def = any;

function defOf(schema: z.ZodType): Def {
    return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

interface Row {
    readonly key: string;
    readonly type: string;
    readonly presence: string;
    readonly description: string;
    /** The value the schema fills in when the key is omitted, if it fills one in. */
    readonly schemaDefault?: { readonly value: unknown };
}

function literal(value: unknown): string {
    return typeof value === "string" ? `"${value}"` : JSON.stringify(value);
}

function range(min: number | undefined, max: number | undefined, minInclusive: boolean, maxInclusive: boolean): string {
    if (min !== undefined && max !== undefined && minInclusive && maxInclusive) return `${min}..${max}`;
    const parts: string[] = [];
    if (min !== undefined) parts.push(`${minInclusive ? ">=" : ">"} ${min}`);
    if (max !== undefined) parts.push(`${maxInclusive ? "<=" : "<"} ${max}`);
    return parts.join(", ");
}

/** Describes a leaf (or a list's element) in words: type, allowed values, range, pattern. */
function typeText(schema: z.ZodType): string {
    const def = defOf(schema);
    const checks: Def[] = (def.checks ?? []).map((c: Def) => c._zod.def);
    switch (def.type) {
        case "number": {
            const isInt = def.format === "safeint" || def.format === "int32" || def.format === "int64";
            let min: number | undefined;
            let max: number | undefined;
            let minInclusive = true;
            let maxInclusive = true;
            for (const c of checks) {
                if (c.check === "greater_than") {
                    min = c.value;
                    minInclusive = c.inclusive;
                } else if (c.check === "less_than") {
                    max = c.value;
                    maxInclusive = c.inclusive;
                }
            }
            const r = range(min, max, minInclusive, maxInclusive);
            const custom = checks.some((c) => c.check === "custom") ? " (further checked by the schema)" : "";
            return `${isInt ? "integer" : "number"}${r === "" ? "" : ` ${r}`}${custom}`;
        }
        case "string": {
            const parts: string[] = [def.format === "email" ? "email address" : "string"];
            for (const c of checks) {
                if (c.check === "string_format" && c.format === "regex") parts.push(`matching \`${String(c.pattern)}\``);
                else if (c.check === "min_length") parts.push(`at least ${c.minimum} character${c.minimum === 1 ? "" : "s"}`);
                else if (c.check === "max_length") parts.push(`at most ${c.maximum} character${c.maximum === 1 ? "" : "s"}`);
                else if (c.check === "string_format" && c.format !== undefined && c.format !== "email") parts.push(`format ${c.format}`);
            }
            return parts.join(", ");
        }
        case "boolean":
            return "boolean";
        case "unknown":
        case "any":
            return "any value";
        case "enum":
            return `one of ${Object.values(def.entries as Record<string, unknown>).map(literal).join(", ")}`;
        case "literal":
            return (def.values as unknown[]).map(literal).join(" or ");
        case "union": {
            const options = def.options as z.ZodType[];
            if (options.every((o) => defOf(o).type === "literal")) {
                return `one of ${options.flatMap((o) => defOf(o).values as unknown[]).map(literal).join(", ")}`;
            }
            return options.map(typeText).join("; or ");
        }
        case "object":
            return `object { ${Object.keys(def.shape).join(", ")} }`;
        case "array": {
            const element = typeText(def.element);
            const list = element.includes("; or ") ? `list, each either ${element}` : `list of ${element}`;
            const sizes = checks.flatMap((c) =>
                c.check === "min_length" ? [`at least ${c.minimum} item${c.minimum === 1 ? "" : "s"}`] : c.check === "max_length" ? [`at most ${c.maximum} item${c.maximum === 1 ? "" : "s"}`] : [],
            );
            return [list, ...sizes].join("; ");
        }
        case "record":
            return `map of ${typeText(def.keyType)} to ${typeText(def.valueType)}`;
        case "tuple":
            return `list [${(def.items as z.ZodType[]).map(typeText).join(", ")}]`;
        case "pipe":
            return typeText(def.in);
        case "null":
            return "null";
        case "optional":
        case "prefault":
        case "default":
        case "nullable":
        case "readonly":
        case "catch":
        case "nonoptional":
            return typeText(def.innerType);
        default:
            throw new Error(`the documentation generator does not know zod type "${String(def.type)}"`);
    }
}

interface Unwrapped {
    readonly inner: z.ZodType;
    readonly optional: boolean;
    readonly defaultValue?: unknown;
    readonly hasDefault: boolean;
}

function unwrap(schema: z.ZodType): Unwrapped {
    let inner = schema;
    let optional = false;
    let hasDefault = false;
    let defaultValue: unknown;
    for (;;) {
        const def = defOf(inner);
        if (def.type === "optional" || def.type === "nullable") {
            optional = true;
        } else if (def.type === "prefault" || def.type === "default") {
            if (!hasDefault) {
                hasDefault = true;
                defaultValue = def.defaultValue;
            }
        } else {
            return { inner, optional, hasDefault, ...(hasDefault ? { defaultValue } : {}) };
        }
        inner = def.innerType;
    }
}

function presenceText(u: Unwrapped, isObject: boolean): string {
    if (u.hasDefault) {
        const value = u.defaultValue;
        if (isObject && value !== null && typeof value === "object" && Object.keys(value).length === 0) return "optional (`{}`: its keys' defaults)";
        return `\`${JSON.stringify(value)}\``;
    }
    return u.optional ? "optional" : "**required**";
}

function collectRows(shape: Record<string, z.ZodType>, prefix: string, docs: Docs, rows: Row[]): void {
    for (const [key, schema] of Object.entries(shape)) {
        const keyPath = `${prefix}${key}`;
        const u = unwrap(schema);
        const def = defOf(u.inner);
        const description = docs.keys.get(keyPath) || docs.schemas.get(keyPath) || "";
        const schemaDefault = u.hasDefault ? { schemaDefault: { value: u.defaultValue } } : {};
        // An optional key's `@default - <words>` says what applies when it is omitted (computed by the program).
        const computed = docs.defaults.get(keyPath);
        const presence = (isObject: boolean): string => {
            const text = presenceText(u, isObject);
            return !u.hasDefault && u.optional && computed?.startsWith("- ") ? `${text}: ${computed.slice(2)}` : text;
        };
        if (def.type === "object") {
            rows.push({ key: keyPath, type: "object", presence: presence(true), description, ...schemaDefault });
            collectRows(def.shape, `${keyPath}.`, docs, rows);
        } else if (def.type === "array" && defOf(unwrap(def.element).inner).type === "object") {
            const element = unwrap(def.element).inner;
            const itemDoc = docs.schemas.get(`${keyPath}[]`) ?? "";
            rows.push({ key: keyPath, type: "list of objects", presence: presence(false), description: description || itemDoc, ...schemaDefault });
            collectRows(defOf(element).shape, `${keyPath}[].`, docs, rows);
        } else {
            rows.push({ key: keyPath, type: typeText(u.inner), presence: presence(false), description, ...schemaDefault });
        }
    }
}

/** The rows of the configuration reference, in the schema's order. */
export function configurationRows(): Row[] {
    const docs = schemaDocs();
    const rows: Row[] = [];
    collectRows(defOf(stackConfigSchema).shape, "", docs, rows);
    return rows;
}

/** Key paths whose property carries no JSDoc comment in the schema's source. */
export function keysWithoutJsDoc(): string[] {
    const docs = schemaDocs();
    return [...docs.keys.entries()].filter(([, doc]) => doc === "").map(([key]) => key);
}

/**
 * Whether a `@default` tag states the schema's default: it starts with the value as JSON
 * (`@default 30`, `@default "gzip"`, `@default {} - every key takes its default`), or, for a
 * property whose default differs where its schema is reused, says `- <words>` naming the value.
 */
export function tagStates(tag: string, value: unknown): boolean {
    const json = JSON.stringify(value);
    if (tag === json || tag.startsWith(`${json} `)) return true;
    return tag.startsWith("- ") && new RegExp(`(^|[^\\w.])${json.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([^\\w.]|$)`).test(tag);
}

/**
 * Every way the schema's JSDoc falls short, one line per key: a key without a comment of its
 * own, a key with a default and no `@default` tag, a `@default` tag that states another value.
 */
export function jsDocProblems(): string[] {
    const docs = schemaDocs();
    const missing = keysWithoutJsDoc().map((key) => `${key}: no JSDoc comment of its own`);
    const defaults = configurationRows().flatMap((row) => {
        if (row.schemaDefault === undefined) return [];
        const tag = docs.defaults.get(row.key);
        if (tag === undefined) return [`${row.key}: no @default tag; the schema's default is ${JSON.stringify(row.schemaDefault.value)}`];
        return tagStates(tag, row.schemaDefault.value) ? [] : [`${row.key}: @default ${tag} does not state the schema's default ${JSON.stringify(row.schemaDefault.value)}`];
    });
    return [...missing, ...defaults];
}

export function configurationPage(): string {
    const rows = configurationRows();
    const sections = new Map<string, Row[]>();
    for (const row of rows) {
        const top = row.key.includes(".") || row.type.startsWith("object") || row.type === "list of objects" ? row.key.split(/[.[]/)[0]! : "";
        sections.set(top, [...(sections.get(top) ?? []), row]);
    }
    const lines = [
        "# Configuration reference",
        "",
        GENERATED_NOTE(SCHEMA_SOURCES),
        "",
        "Every key of a stack file (`Pulumi.<stack>.yaml`), under the `pg-backup-stack:` namespace, as the",
        "schema defines it. `[]` marks the items of a list. *Default* is the value the schema fills in when",
        "the key is omitted; *optional* keys have none, and **required** keys must be given (inside their",
        "parent, when the parent is optional). Descriptions are the schema's own comments: `npm run docs`",
        "refuses a key without one, or whose `@default` tag does not state the schema's default. What",
        "`npm run validate` and the program add (rules between keys,",
        "production rules, defaults computed from other keys) is in",
        "[getting-started.md](getting-started.md#configuration-notes).",
        "",
    ];
    for (const [top, list] of sections) {
        lines.push(top === "" ? "## Stack-wide" : `## \`${top}\``, "", "| Key | Type | Default | Description |", "| --- | --- | --- | --- |");
        for (const r of list) {
            lines.push(`| \`${cell(r.key)}\` | ${cell(r.type)} | ${cell(r.presence)} | ${cell(r.description)} |`);
        }
        lines.push("");
    }
    return lines.join("\n");
}
