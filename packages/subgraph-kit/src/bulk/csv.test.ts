import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, parseCsv, serializeCsv } from './csv.js';

function syntaxErrorOf(text: string): CsvSyntaxError {
  try {
    parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) return error;
    throw error;
  }
  throw new Error('expected a CsvSyntaxError');
}

describe('CSV', () => {
  it('reads a header and records, counting records from 1 after the header', () => {
    expect(parseCsv('id,name\ncanada,Canada\nmexico,Mexico\n')).toEqual({
      header: ['id', 'name'],
      records: [
        { row: 1, line: 2, cells: ['canada', 'Canada'] },
        { row: 2, line: 3, cells: ['mexico', 'Mexico'] },
      ],
    });
  });

  it('reads quoted fields with commas, doubled quotes and line breaks inside', () => {
    const table = parseCsv('id,note\r\na,"one, two"\r\nb,"say ""hi"""\r\nc,"first\r\nsecond\nthird"\r\nd,\r\n');
    expect(table.records.map((record) => record.cells)).toEqual([
      ['a', 'one, two'],
      ['b', 'say "hi"'],
      ['c', 'first\r\nsecond\nthird'],
      ['d', ''],
    ]);
    // The record after a multi-line field starts on the line after its last line.
    expect(table.records.map((record) => record.line)).toEqual([2, 3, 4, 7]);
  });

  it('drops a byte-order mark, accepts CRLF, LF and no final line end, and skips blank lines', () => {
    expect(parseCsv('\uFEFFid,name\r\n\r\na,A\n\nb,B').records.map((record) => [record.row, record.cells])).toEqual([
      [1, ['a', 'A']],
      [2, ['b', 'B']],
    ]);
    expect(parseCsv('\uFEFFid').header).toEqual(['id']);
    expect(parseCsv('')).toEqual({ header: [], records: [] });
  });

  it('keeps empty fields, leading and trailing', () => {
    expect(parseCsv('a,b,c\n,x,\n').records[0]!.cells).toEqual(['', 'x', '']);
  });

  it('refuses an unclosed quote, naming the row where it opened', () => {
    const error = syntaxErrorOf('id,name\na,A\nb,"B\nc,C\n');
    expect(error).toMatchObject({ row: 2, line: 3 });
    expect(error.message).toContain('not closed');
  });

  it('refuses text after a closing quote and a quote inside an unquoted field, with the row', () => {
    expect(syntaxErrorOf('id,name\na,"A"x\n')).toMatchObject({ row: 1, line: 2 });
    const stray = syntaxErrorOf('id,name\na,A\nb,B "the second"\n');
    expect(stray).toMatchObject({ row: 2, line: 3 });
    expect(stray.message).toContain('quote inside an unquoted field');
    expect(syntaxErrorOf('"id"x,name\n')).toMatchObject({ row: 0, line: 1 });
  });

  it('writes RFC 4180 (CRLF, quotes only where needed) and reads back what it wrote', () => {
    const rows = [
      ['a', 'plain'],
      ['b', 'with, comma'],
      ['c', 'with "quotes"'],
      ['d', 'two\nlines'],
      ['e', ' padded '],
      ['f', ''],
    ];
    const text = serializeCsv(['id', 'value'], rows);
    expect(text).toBe(
      'id,value\r\na,plain\r\nb,"with, comma"\r\nc,"with ""quotes"""\r\nd,"two\nlines"\r\ne," padded "\r\nf,\r\n',
    );
    expect(parseCsv(text).records.map((record) => record.cells)).toEqual(rows);
  });
});
