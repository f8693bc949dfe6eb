/**
 * docs/component-reference.md, from the component library's own TSDoc: for every component
 * that components/aws/index.ts and components/azure/index.ts export (a class extending
 * pulumi.ComponentResource), its type token, the class summary, every property of its Args
 * interface (inherited ones included) and its public readonly outputs. An Args property without
 * a JSDoc summary, or an optional one without a `@default` tag, is a problem `npm run docs`
 * refuses (aws-cdk's style: a summary, then `@default`).
 */
import * as path from "path";
import * as ts from "typescript";
import { GENERATED_NOTE, cell, defaultTagText, jsDocText, parse } from "./jsdoc";

/** The entry points of the library's two clouds, relative to the repository root, with their heading. */
const INDEXES = [
    { file: "components/aws/index.ts", cloud: "AWS" },
    { file: "components/azure/index.ts", cloud: "Azure" },
];

export interface ArgProperty {
    readonly name: string;
    /** The type as written in the source. */
    readonly type: string;
    readonly required: boolean;
    readonly summary: string;
    /** The text of the `@default` tag, if the property has one. */
    readonly defaultTag?: string;
}

export interface ComponentOutput {
    readonly name: string;
    readonly type: string;
    readonly summary: string;
}

export interface ComponentDoc {
    readonly name: string;
    readonly cloud: string;
    /** The source file, relative to the repository root. */
    readonly file: string;
    /** The Pulumi type token the constructor passes to `super`. */
    readonly token: string;
    readonly summary: string;
    readonly argsInterface: string;
    readonly args: readonly ArgProperty[];
    readonly outputs: readonly ComponentOutput[];
}

function oneLine(text: string): string {
    return text.replace(/\s+/g, " ").trim();
}

/** The `.ts` file a relative module specifier of `from` names, relative to the repository root. */
function resolveModule(from: string, specifier: string): string {
    return path.posix.join(path.posix.dirname(from), `${specifier}.ts`);
}

/** Names a value export declaration exports (`export { A, B } from "./x"`), with the file they come from. */
function exportedNames(index: string): { name: string; file: string }[] {
    const source = parse(index);
    return source.statements.flatMap((s) => {
        if (!ts.isExportDeclaration(s) || s.isTypeOnly || s.moduleSpecifier === undefined || !ts.isStringLiteral(s.moduleSpecifier)) return [];
        if (s.exportClause === undefined || !ts.isNamedExports(s.exportClause)) return [];
        const file = resolveModule(index, s.moduleSpecifier.text);
        return s.exportClause.elements.filter((e) => !e.isTypeOnly).map((e) => ({ name: (e.propertyName ?? e.name).text, file }));
    });
}

function extendsComponentResource(node: ts.ClassDeclaration): boolean {
    return (node.heritageClauses ?? []).some((h) => h.token === ts.SyntaxKind.ExtendsKeyword && h.types.some((t) => t.expression.getText() === "pulumi.ComponentResource"));
}

/** The interface named `name` that `file` declares or imports from a relative module. */
function findInterface(file: string, name: string): { file: string; node: ts.InterfaceDeclaration } {
    const source = parse(file);
    for (const s of source.statements) {
        if (ts.isInterfaceDeclaration(s) && s.name.text === name) return { file, node: s };
    }
    for (const s of source.statements) {
        if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier) || !s.moduleSpecifier.text.startsWith(".")) continue;
        const bindings = s.importClause?.namedBindings;
        if (bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.some((e) => e.name.text === name)) {
            return findInterface(resolveModule(file, s.moduleSpecifier.text), name);
        }
    }
    throw new Error(`${file}: the documentation generator cannot find the interface ${name}`);
}

/** The properties of an interface, those of the interfaces it extends first. */
function interfaceProperties(file: string, node: ts.InterfaceDeclaration): ArgProperty[] {
    const inherited = (node.heritageClauses ?? []).flatMap((h) =>
        h.types.flatMap((t) => {
            const base = findInterface(file, t.expression.getText());
            return interfaceProperties(base.file, base.node);
        }),
    );
    const own = node.members.filter(ts.isPropertySignature).map((m): ArgProperty => {
        const tag = defaultTagText(m);
        return {
            name: m.name.getText(),
            type: m.type === undefined ? "" : oneLine(m.type.getText()),
            required: m.questionToken === undefined,
            summary: jsDocText(m),
            ...(tag === undefined ? {} : { defaultTag: tag }),
        };
    });
    return [...inherited, ...own];
}

function isPublic(member: ts.ClassElement): boolean {
    const modifiers = ts.canHaveModifiers(member) ? ts.getModifiers(member) ?? [] : [];
    return !modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword || m.kind === ts.SyntaxKind.StaticKeyword);
}

function isReadonly(member: ts.ClassElement): boolean {
    const modifiers = ts.canHaveModifiers(member) ? ts.getModifiers(member) ?? [] : [];
    return modifiers.some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword);
}

function componentDoc(name: string, cloud: string, file: string, node: ts.ClassDeclaration): ComponentDoc {
    const ctor = node.members.find(ts.isConstructorDeclaration);
    const superCall = ctor?.body?.statements
        .map((s) => (ts.isExpressionStatement(s) && ts.isCallExpression(s.expression) && s.expression.expression.kind === ts.SyntaxKind.SuperKeyword ? s.expression : undefined))
        .find((c) => c !== undefined);
    const token = superCall?.arguments[0];
    if (token === undefined || !ts.isStringLiteral(token)) throw new Error(`${file}: ${name}'s constructor does not pass a type token to super`);
    const argsType = ctor?.parameters.find((p) => p.name.getText() === "args")?.type;
    if (argsType === undefined || !ts.isTypeReferenceNode(argsType)) throw new Error(`${file}: ${name}'s constructor has no \`args\` parameter of a named type`);
    const argsInterface = argsType.typeName.getText();
    const found = findInterface(file, argsInterface);
    const outputs = node.members
        .filter((m): m is ts.PropertyDeclaration => ts.isPropertyDeclaration(m) && isPublic(m) && isReadonly(m))
        .map((m) => ({ name: m.name.getText(), type: m.type === undefined ? "" : oneLine(m.type.getText()), summary: jsDocText(m) }));
    return { name, cloud, file, token: token.text, summary: jsDocText(node), argsInterface, args: interfaceProperties(found.file, found.node), outputs };
}

/** Every component the library exports, in the order of its index files. */
export function components(): ComponentDoc[] {
    return INDEXES.flatMap(({ file: index, cloud }) =>
        exportedNames(index).flatMap(({ name, file }) => {
            const node = parse(file).statements.find((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === name);
            return node !== undefined && extendsComponentResource(node) ? [componentDoc(name, cloud, file, node)] : [];
        }),
    );
}

/** Every Args property without a JSDoc summary, and every optional one without a `@default` tag, one line each. */
export function componentJsDocProblems(docs: readonly ComponentDoc[] = components()): string[] {
    return docs.flatMap((c) =>
        c.args.flatMap((a) => [
            ...(a.summary === "" ? [`${c.name} (${c.argsInterface}.${a.name}): no JSDoc summary`] : []),
            ...(!a.required && (a.defaultTag ?? "") === "" ? [`${c.name} (${c.argsInterface}.${a.name}): optional, without a @default tag`] : []),
        ]),
    );
}

/** A heading's anchor as GitHub derives it. */
function anchor(heading: string): string {
    return heading.toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-");
}

/** TSDoc text as Markdown: `<` outside code spans is a character, not the start of an HTML tag. */
function prose(text: string): string {
    return text.split("`").map((part, i) => (i % 2 === 0 ? part.replace(/</g, "&lt;") : part)).join("`");
}

/** Whether a `@default` value is written as a literal (`30`, `"gzip"`, `["s3"]`, `{ key: "a" }`) rather than in words. */
function isLiteral(value: string): boolean {
    if (/^(-?\d[\d.]*|true|false|null)$/.test(value)) return true;
    return /^("[^"]*"|'[^']*'|\[.*\]|\{.*\})$/.test(value);
}

/** A `@default` tag as a cell: a literal value in code, then the words after ` - `, if any. */
export function defaultCell(tag: string): string {
    const split = tag.startsWith("- ") ? 0 : tag.indexOf(" - ");
    const value = split < 0 ? tag : tag.slice(0, split);
    const words = split < 0 ? "" : tag.slice(split === 0 ? 2 : split + 3);
    const shown = isLiteral(value) ? `\`${value}\`` : prose(value);
    return [shown, prose(words)].filter((t) => t !== "").join(" - ");
}

function componentSection(c: ComponentDoc): string[] {
    const args = c.args.map((a) => `| \`${a.name}\` | \`${cell(a.type)}\` | ${a.required ? "**required**" : "optional"} | ${cell(prose(a.summary))} | ${a.required ? "" : cell(defaultCell(a.defaultTag ?? ""))} |`);
    const outputs = c.outputs.map((o) => `| \`${o.name}\` | \`${cell(o.type)}\` | ${cell(prose(o.summary))} |`);
    return [
        `### ${c.name}`,
        "",
        `Type token \`${c.token}\`, declared in [${c.file}](../${c.file}).`,
        "",
        prose(c.summary),
        "",
        `#### Arguments (\`${c.argsInterface}\`)`,
        "",
        "| Argument | Type | Presence | Description | Default |",
        "| --- | --- | --- | --- | --- |",
        ...args,
        "",
        "#### Outputs",
        "",
        ...(outputs.length === 0 ? ["None besides the child resources."] : ["| Output | Type | Description |", "| --- | --- | --- |", ...outputs]),
        "",
    ];
}

export function componentReferencePage(docs: readonly ComponentDoc[] = components()): string {
    const lines = [
        "# Component reference",
        "",
        GENERATED_NOTE(INDEXES.map((i) => i.file).concat("the component files they export")),
        "",
        "Every component of the library (`pg-backup-stack`, `pg-backup-stack/aws`, `pg-backup-stack/azure`):",
        "its Pulumi type token, what it declares, every argument of its Args interface and its outputs,",
        "as the source's TSDoc states them. *Default* is the argument's `@default` tag: a value, or words",
        "for a default the component computes. `npm run docs` refuses an argument without a",
        "summary, or an optional one without a `@default` tag. How to install, import and combine the",
        "components is in [components.md](components.md).",
        "",
    ];
    for (const { cloud } of INDEXES) {
        const list = docs.filter((c) => c.cloud === cloud);
        lines.push(`## ${cloud}`, "", ...list.map((c) => `- [${c.name}](#${anchor(c.name)})`), "");
        for (const c of list) lines.push(...componentSection(c));
    }
    return lines.join("\n");
}
