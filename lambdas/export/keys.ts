/** Where an export's objects and its tables' watermarks are stored. */
import { compactTimestamp } from "../shared/keys";
import type { ExportTable } from "./settings";

/** `<prefix>/<database>/<schema>.<table>/YYYY/MM/DD/<table>-<timestamp>-<runId>.csv.gz` */
export function exportKey(prefix: string, database: string, t: ExportTable, at: Date, runId: string): string {
    const iso = at.toISOString();
    const day = `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}`;
    return `${trim(prefix)}/${database}/${t.schema}.${t.table}/${day}/${t.table}-${compactTimestamp(at)}-${runId}.csv.gz`;
}

/** `<prefix>/<database>/_watermarks/<schema>.<table>.json` */
export function watermarkKey(prefix: string, database: string, t: ExportTable): string {
    return `${trim(prefix)}/${database}/_watermarks/${t.schema}.${t.table}.json`;
}

function trim(prefix: string): string {
    return prefix.replace(/^\/+|\/+$/g, "");
}
