/**
 * CSV as RFC 4180 describes it: a header row, then one record per row; fields separated by commas;
 * a field with a comma, quote or line break is quoted, a quote inside it doubled. We also accept what
 * spreadsheets write: a UTF-8 byte-order mark, LF or CRLF line ends, and blank lines (skipped).
 * Small and ours, so that its errors can name the row a person must fix.
 */

/** One record: `row` counts records (the first after the header is 1), `line` is where it starts. */
export interface CsvRecord {
  row: number;
  line: number;
  cells: string[];
}

export interface CsvTable {
  header: string[];
  records: CsvRecord[];
}

/** Malformed CSV (a stray or unclosed quote): `row` 0 is the header. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly row: number,
    readonly line: number,
    message: string,
  ) {
    super(`row ${row} (line ${line}): ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

const BOM = '\uFEFF';

export function parseCsv(input: string): CsvTable {
  const text = input.startsWith(BOM) ? input.slice(1) : input;
  const rows: { line: number; cells: string[] }[] = [];
  let line = 1;
  let position = 0;
  while (position < text.length) {
    const startLine = line;
    const recordIndex = rows.length;
    // A blank line is not a record (a trailing newline, or spacing a person left in the file).
    if (text[position] === '\n' || (text[position] === '\r' && text[position + 1] === '\n')) {
      position += text[position] === '\r' ? 2 : 1;
      line += 1;
      continue;
    }
    const cells: string[] = [];
    for (;;) {
      let cell = '';
      if (text[position] === '"') {
        position += 1;
        for (;;) {
          if (position >= text.length) {
            throw new CsvSyntaxError(recordIndex, startLine, 'a quoted field is not closed: add the closing "');
          }
          const char = text[position]!;
          if (char === '"') {
            if (text[position + 1] === '"') {
              cell += '"';
              position += 2;
              continue;
            }
            position += 1;
            break;
          }
          if (char === '\n') line += 1;
          cell += char;
          position += 1;
        }
        const next = text[position];
        if (next !== undefined && next !== ',' && next !== '\n' && !(next === '\r' && text[position + 1] === '\n')) {
          throw new CsvSyntaxError(
            recordIndex,
            line,
            `unexpected ${JSON.stringify(next)} after a closing quote: a quote inside a quoted field is written ""`,
          );
        }
      } else {
        for (;;) {
          const char = text[position];
          if (char === undefined || char === ',' || char === '\n' || (char === '\r' && text[position + 1] === '\n')) {
            break;
          }
          if (char === '"') {
            throw new CsvSyntaxError(
              recordIndex,
              line,
              'a quote inside an unquoted field: quote the whole field and double the quote ("")',
            );
          }
          cell += char;
          position += 1;
        }
      }
      cells.push(cell);
      if (text[position] === ',') {
        position += 1;
        continue;
      }
      // End of the record: a line end or the end of the text.
      if (text[position] === '\r') position += 1;
      if (text[position] === '\n') {
        position += 1;
        line += 1;
      }
      break;
    }
    rows.push({ line: startLine, cells });
  }
  const [header, ...records] = rows;
  return {
    header: header?.cells ?? [],
    records: records.map((record, index) => ({ row: index + 1, line: record.line, cells: record.cells })),
  };
}

function quoteIfNeeded(cell: string): string {
  return /[",\r\n]/.test(cell) || cell !== cell.trim() ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/** The header and rows as RFC 4180 CSV: CRLF line ends, a final CRLF, fields quoted only when needed. */
export function serializeCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((cells) => `${cells.map(quoteIfNeeded).join(',')}\r\n`).join('');
}
