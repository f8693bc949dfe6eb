/**
 * Passwords out of everything this project prints or logs. A URL's userinfo runs from `//` to
 * the LAST `@` before the host, and a password may hold any of `/?#@:` (unencoded, as operators
 * type them), so the redaction looks for that last `@` instead of stopping at `/`, `?` or `#`.
 */

/** What stands in for a password. */
const REDACTED = "***";

/**
 * Credentials the process holds that are not in a URL (a password read from a secret store, an
 * Entra access token): every later redaction replaces them wherever they appear, so an error or
 * a tool's output that echoes one still prints `***`.
 */
const HELD_SECRETS = new Set<string>();

/** Shorter values are not secrets worth the name, and hiding them would garble ordinary text. */
const MIN_HELD_SECRET_LENGTH = 8;

/** Makes `redactText` replace `value` wherever it appears from now on. */
export function hideSecret(value: string): void {
    if (value.length >= MIN_HELD_SECRET_LENGTH) {
        HELD_SECRETS.add(value);
    }
}

/** `scheme://` at the start of the text or after a character that cannot be part of a URL. */
const SCHEME = /[A-Za-z][A-Za-z0-9+.-]*:\/\//g;

/**
 * A single URL with any password replaced by `***`: everything between the first `:` of the
 * userinfo and the last `@` of the string. `postgres://app:#a/b?c@db:5432/x` ->
 * `postgres://app:***@db:5432/x`; a URL without a password is returned unchanged.
 */
export function redactUrl(url: string): string {
    return redactText(url);
}

/**
 * Every URL-like string in `text` with its password replaced by `***`, line by line. Within a
 * line, a URL's userinfo ends at the last `@` before the next URL that starts after whitespace;
 * when no `@` comes before that next URL, the password is taken to run on into it (a password
 * may hold ` x://`), so more is hidden rather than less. A URL already redacted (`user:***@`) is
 * left as it is, so redacting twice changes nothing. Values passed to `hideSecret` are replaced
 * first, wherever they stand.
 */
export function redactText(text: string): string {
    let hidden = text;
    for (const secret of HELD_SECRETS) {
        hidden = hidden.split(secret).join(REDACTED);
    }
    return hidden
        .split("\n")
        .map((line) => redactLine(line))
        .join("\n");
}

/** An Error's message, redacted; anything else as a redacted string. */
export function redactedMessage(err: unknown): string {
    return redactText(err instanceof Error ? err.message : String(err));
}

/** `extra` fields of a log line with every string (nested ones too) redacted. */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, redactValue(v)]));
}

function redactValue(value: unknown): unknown {
    if (typeof value === "string") {
        return redactText(value);
    }
    if (value instanceof Error) {
        return redactedMessage(value);
    }
    if (Array.isArray(value)) {
        return value.map(redactValue);
    }
    if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
        return redactFields(value as Record<string, unknown>);
    }
    return value;
}

function redactLine(line: string): string {
    const starts = [...line.matchAll(SCHEME)].map((m) => ({ scheme: m.index, authority: m.index + m[0].length }));
    let out = "";
    let copied = 0;
    for (let i = 0; i < starts.length; i++) {
        const start = starts[i] as { scheme: number; authority: number };
        if (start.scheme < copied) {
            continue;
        }
        // The stretch this URL may span: up to the next URL that begins after whitespace.
        let end = line.length;
        for (let j = i + 1; j < starts.length; j++) {
            const next = (starts[j] as { scheme: number }).scheme;
            if (next > start.authority && /\s/.test(line[next - 1] ?? "") && line.lastIndexOf("@", next - 1) >= start.authority) {
                end = next;
                break;
            }
        }
        const at = line.lastIndexOf("@", end - 1);
        if (at < start.authority) {
            continue;
        }
        const colon = line.indexOf(":", start.authority);
        if (colon === -1 || colon > at || line.startsWith(`${REDACTED}@`, colon + 1)) {
            continue;
        }
        out += line.slice(copied, colon + 1) + REDACTED;
        copied = at;
    }
    return out + line.slice(copied);
}

/** What stands in for row data in a server message. */
const WITHHELD = "(row data withheld)";

/**
 * Server messages that quote a table's data, as pg_restore and pg_dump print them (PostgreSQL's
 * messages, src/backend/commands/copyfromparse.c, utils/adt, access/nbtree, executor): the line
 * of COPY input that failed, a failing row, a key's values, an input value a type refused. Each
 * keeps what names the place (table, line, column, type, constraint) and withholds the rest of
 * its line; a value that holds a newline goes on over the lines after it, which are withheld up
 * to the next message (see MESSAGE_START).
 */
const ROW_DATA: readonly [RegExp, string | ((...m: string[]) => string)][] = [
    // CONTEXT:  COPY orders, line 3, column note: "..."  /  CONTEXT:  COPY orders, line 3: "..."
    [/(\bCOPY [^\n]*?, line \d+(?:, column [^:\n]*)?): .*$/, `$1: ${WITHHELD}`],
    // DETAIL:  Failing row contains (...).  /  Partition key of the failing row contains (a) = (55).
    [/(\b[Ff]ailing row contains ).*$/, `$1${WITHHELD}.`],
    // DETAIL:  Key (id)=(42) already exists.  /  is not present in table "t".  /  is duplicated.
    //          Key (c)=(1) conflicts with existing key (c)=(7).
    [/(\bKey \((?:[^()\n]|\([^()\n]*\))*\))=\(.*$/, (_m, key: string, ...rest: string[]) => keyWithheld(key, String(rest.at(-1)))],
    // ERROR:  invalid input syntax for type integer: "..."  /  invalid input value for enum mood: "..."
    [/(\binvalid input (?:syntax|value) for [^:\n]+): ".*$/, `$1: ${WITHHELD}`],
    // ERROR:  malformed array literal: "..."  (range, record, multirange)
    [/(\bmalformed [a-z]+ literal): ".*$/, `$1: ${WITHHELD}`],
    // ERROR:  value "..." is out of range for type integer  /  "1e999" is out of range for type double precision
    [/(\bvalue )".*"( is out of range for type [^\n]*)$/, `$1${WITHHELD}$2`],
    [/((?:ERROR|DETAIL):\s+)".*"( is out of range for type [^\n]*)$/, `$1${WITHHELD}$2`],
    // ERROR:  date/time field value out of range: "..."
    [/(\bvalue out of range): ".*$/, `$1: ${WITHHELD}`],
    // DETAIL:  Token "..." is invalid.  /  CONTEXT:  JSON data, line 1: ...
    [/(\bToken )".*$/, `$1${WITHHELD} is invalid.`],
    [/(\bJSON data, line \d+): .*$/, `$1: ${WITHHELD}`],
];

/** What a Key (...)=(...) line keeps: the columns and, from the rest, only what the server says of the key. */
function keyWithheld(key: string, line: string): string {
    const said = [/ already exists\.?$/, / is duplicated\.?$/, / is not present in table "[^"]*"\.?$/, / is still referenced from table "[^"]*"\.?$/]
        .map((p) => p.exec(line)?.[0])
        .find((m) => m !== undefined);
    if (said !== undefined) return `${key}=${WITHHELD}${said}`;
    return / conflicts with existing key /.test(line) ? `${key}=${WITHHELD} conflicts with existing key ${WITHHELD}.` : `${key}=${WITHHELD}`;
}

/** Where a message of the server or of a client tool starts; any other line goes on the line before it. */
const MESSAGE_START = /^(?:(?:pg_restore|pg_dump|pg_dumpall|psql): |(?:ERROR|FATAL|PANIC|WARNING|NOTICE|INFO|LOG|DEBUG\d?|DETAIL|HINT|CONTEXT|STATEMENT|LOCATION|QUERY):\s|Command was: )/;

/**
 * `text` (a tool's stderr) with the row data its server messages quote withheld: each such line
 * keeps its names and positions, and the lines a quoted value runs on over are dropped up to the
 * next message. A tail `cutShort` from a longer stderr may start inside a value: its lines before
 * the first message are dropped too. Everything else is kept as it is.
 */
export function withoutRowData(text: string, cutShort = false): string {
    let withholding = cutShort;
    const out: string[] = [];
    for (const line of text.split("\n")) {
        const starts = MESSAGE_START.test(line);
        if (!starts && withholding && line !== "") {
            continue;
        }
        const pattern = ROW_DATA.find(([p]) => p.test(line));
        if (pattern === undefined) {
            withholding = !starts && withholding;
            out.push(line);
            continue;
        }
        const [p, replacement] = pattern;
        out.push(typeof replacement === "string" ? line.replace(p, replacement) : line.replace(p, replacement as (...m: string[]) => string));
        withholding = true;
    }
    return out.join("\n");
}
