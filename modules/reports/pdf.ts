import PDFDocument from 'pdfkit';

/**
 * PDF rendering of any table-shaped report (docs/rules.md#summary-reports): a title, a few header lines, then tables
 * with a caption, column headings and text cells, broken across A4 pages with the headings repeated. The summary
 * reports and the archived reconciliation report both use it. Cells are the report's exact text (decimal strings),
 * never numbers: the PDF shows what the JSON and the CSV say. Uses pdfkit's built-in Helvetica, so it needs no font
 * files and runs the same under Node and Bun.
 */

export interface ReportTable {
  caption: string;
  columns: string[];
  rows: string[][];
  /** Cells of these column indexes are set right-aligned (amounts, counts). */
  numericColumns?: number[];
}

export interface PdfReport {
  title: string;
  /** Lines under the title: the period, when it was generated, by whom. */
  headerLines: string[];
  tables: ReportTable[];
  /** Written into the document's metadata as its creation date, so the same report renders to the same bytes. */
  createdAt: Date;
}

const margin = 40;
const fontSize = 8;
const rowHeight = 12;

/** Renders the report; resolves to the whole PDF file. */
export function renderPdf(report: PdfReport): Promise<Buffer> {
  const document = new PDFDocument({
    size: 'A4',
    margin,
    // Uncompressed content streams: a report is small, and its text stays searchable by simple tools.
    compress: false,
    info: { Title: report.title, Creator: 'ledgerflow', Producer: 'ledgerflow', CreationDate: report.createdAt, ModDate: report.createdAt },
  });
  const chunks: Buffer[] = [];
  const finished = new Promise<Buffer>((resolve, reject) => {
    document.on('data', (chunk: Buffer) => chunks.push(chunk));
    document.on('end', () => resolve(Buffer.concat(chunks)));
    document.on('error', reject);
  });

  const pageWidth = document.page.width - 2 * margin;
  const bottom = () => document.page.height - margin - rowHeight;
  let y = margin;

  document.font('Helvetica-Bold').fontSize(14).text(report.title, margin, y, { width: pageWidth });
  y = document.y + 4;
  document.font('Helvetica').fontSize(9);
  for (const line of report.headerLines) {
    document.text(line, margin, y, { width: pageWidth });
    y = document.y + 1;
  }
  y += 8;

  for (const table of report.tables) {
    const widths = columnWidths(table, pageWidth);
    const drawRow = (cells: string[], bold: boolean) => {
      document.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(fontSize);
      let x = margin;
      cells.forEach((cell, index) => {
        const width = widths[index]!;
        const align = table.numericColumns?.includes(index) ? 'right' : 'left';
        document.text(cell, x + 2, y + 2, { width: width - 4, height: rowHeight, align, lineBreak: false, ellipsis: true });
        x += width;
      });
      y += rowHeight;
    };
    if (y + 3 * rowHeight > bottom()) {
      document.addPage();
      y = margin;
    }
    document.font('Helvetica-Bold').fontSize(10).text(table.caption, margin, y, { width: pageWidth });
    y = document.y + 2;
    drawRow(table.columns, true);
    document.moveTo(margin, y).lineTo(margin + pageWidth, y).lineWidth(0.5).stroke();
    if (table.rows.length === 0) drawRow(['(none)'], false);
    for (const row of table.rows) {
      if (y > bottom()) {
        document.addPage();
        y = margin;
        drawRow(table.columns, true);
      }
      drawRow(row, false);
    }
    y += 10;
  }
  document.end();
  return finished;
}

/** Widths in proportion to each column's longest text (heading included), at least a minimum each. */
function columnWidths(table: ReportTable, pageWidth: number): number[] {
  const lengths = table.columns.map((column, index) => Math.max(4, column.length, ...table.rows.map((row) => (row[index] ?? '').length)));
  const total = lengths.reduce((sum, length) => sum + length, 0);
  return lengths.map((length) => (pageWidth * length) / total);
}
