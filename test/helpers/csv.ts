/**
 * A small RFC 4180 reader for checking PostgreSQL's CSV output in tests: quoted fields may hold
 * commas, doubled quotes and line breaks; an unquoted empty field is NULL, a quoted one "".
 */
export type CsvField = string | null;

export function parseCsv(text: string): CsvField[][] {
    const rows: CsvField[][] = [];
    let row: CsvField[] = [];
    let field = "";
    let quoted = false;
    let inQuotes = false;
    const endField = (): void => {
        row.push(!quoted && field === "" ? null : field);
        field = "";
        quoted = false;
    };
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (inQuotes) {
            if (ch === '"' && text[i + 1] === '"') {
                field += '"';
                i++;
            } else if (ch === '"') {
                inQuotes = false;
            } else {
                field += ch;
            }
        } else if (ch === '"') {
            inQuotes = true;
            quoted = true;
        } else if (ch === ",") {
            endField();
        } else if (ch === "\n") {
            endField();
            rows.push(row);
            row = [];
        } else if (ch !== "\r") {
            field += ch;
        }
    }
    if (inQuotes) {
        throw new Error("CSV ends inside a quoted field");
    }
    if (field !== "" || quoted || row.length > 0) {
        endField();
        rows.push(row);
    }
    return rows;
}
