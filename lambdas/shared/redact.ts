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
 * of COPY input that failed, a failing row, a key's values, and an input value a type or enum
 * refused. A backup's data must not reach a log, an error or a verification report through them.
 */
const ROW_DATA: readonly [RegExp, string][] = [
    // CONTEXT:  COPY orders, line 3, column note: "..."  /  CONTEXT:  COPY orders, line 3: "..."
    [/(\bCOPY [^\n]*?, line \d+(?:, column [^:\n]*)?): .*$/, `$1: ${WITHHELD}`],
    // DETAIL:  Failing row contains (...).
    [/(\bFailing row contains ).*$/, `$1${WITHHELD}.`],
    // DETAIL:  Key (id)=(42) already exists.  /  Key (a)=(1) is not present in table "t".
    [/(\bKey \([^\n]*?\))=\(.*?\)( (?:already exists|is not present|is still referenced|conflicts with)[^\n]*)?$/, `$1=${WITHHELD}$2`],
    // ERROR:  invalid input syntax for type integer: "..."  /  invalid input value for enum mood: "..."
    [/(\binvalid input (?:syntax|value) for (?:type|enum) [^:\n]+): ".*"$/, `$1: ${WITHHELD}`],
    // ERROR:  value "..." is out of range for type integer  /  date/time field value out of range: "..."
    [/(\bvalue )".*"( is out of range for type [^\n]*)$/, `$1${WITHHELD}$2`],
    [/(\bvalue out of range): ".*"$/, `$1: ${WITHHELD}`],
];

/** `text` (a tool's stderr) with the row data its server messages quote withheld, line by line; names, line numbers and the rest kept. */
export function withoutRowData(text: string): string {
    return text
        .split("\n")
        .map((line) => ROW_DATA.reduce((l, [pattern, replacement]) => l.replace(pattern, replacement), line))
        .join("\n");
}
