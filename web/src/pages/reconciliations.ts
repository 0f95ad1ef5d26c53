import { api } from '../api.ts';
import { formDialog, showFailure } from '../dialog.ts';
import { definitionList, field, formatMoney, formatTime, h, link, replace, statusBadge, table, toast } from '../dom.ts';
import type { Page } from '../router.ts';
import type { ResponseOf } from '../types.ts';

/**
 * Reconciliation (docs/rules.md#daily-reconciliation): the reconciled days, and for one day its report summary and its
 * statement matching (docs/rules.md#statement-matching) — the completed payouts against the provider's and the bank's
 * statements, the lines and their matches, the exceptions with their actions, and the bank statement upload.
 */

type DayStatements = ResponseOf<'/v1/reconciliations/{date}/statements', 'get'>;
type StatementException = ResponseOf<'/v1/reconciliations/{date}/exceptions', 'get'>['exceptions'][number];

const base = '/app/admin/reconciliations';

export const reconciliationsPage: Page = async (context) => {
  const { reconciliations } = await api.get('/v1/reconciliations', { query: { limit: 60 } });
  document.title = 'Reconciliation · ledgerflow';
  const dateControl = h('input', { type: 'date', 'data-testid': 'reconciliation-date' });
  const form = h(
    'form',
    { class: 'filters panel', role: 'search', 'aria-label': 'Open a day' },
    field('Day (UTC)', dateControl),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Open')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (dateControl.value) context.navigate(`${base}/${dateControl.value}`);
  });
  replace(
    context.root,
    h('h1', {}, 'Reconciliation'),
    form,
    table(
      ['Day', 'Status', 'Balanced', 'Rebuild findings', 'Unexplained', 'Signed'],
      reconciliations.map((day) =>
        h(
          'tr',
          { 'data-day': day.day },
          h('td', {}, link(`${base}/${day.day}`, day.day)),
          h('td', {}, statusBadge(day.status)),
          h('td', {}, day.balanced ? 'yes' : 'no'),
          h('td', { class: 'number' }, day.rebuildFindings),
          h('td', { class: 'number' }, day.unexplained),
          h('td', {}, day.signedAt ? formatTime(day.signedAt) : '—'),
        ),
      ),
      { caption: 'Reconciled days, newest first', empty: 'No day reconciled yet.' },
    ),
  );
};

function exceptionActions(day: string, exception: StatementException, reload: () => Promise<void>): HTMLElement {
  const act = async (action: 'acknowledge' | 'resolve' | 'accept') => {
    const note = h('textarea', { rows: 3, maxlength: 2000 });
    const entryId = h('input', { type: 'text', inputmode: 'numeric' });
    const adjustmentId = h('input', { type: 'text' });
    const fields =
      action === 'resolve'
        ? [
            { name: 'note', label: 'Note', control: note },
            { name: 'entryId', label: 'Correcting journal entry id', control: entryId, hint: 'Or the adjustment below' },
            { name: 'adjustmentId', label: 'Correcting adjustment id', control: adjustmentId },
          ]
        : [{ name: 'note', label: action === 'accept' ? 'Note (why it is accepted)' : 'Note (optional)', control: note }];
    const done = await formDialog({
      title: `${action[0]!.toUpperCase()}${action.slice(1)} exception ${exception.id}`,
      intro: exception.detail,
      fields,
      submitLabel: action[0]!.toUpperCase() + action.slice(1),
      async submit(values) {
        await api.post('/v1/reconciliations/{date}/exceptions/{id}/{action}', {
          params: { date: day, id: exception.id, action },
          body: {
            ...(values.note ? { note: values.note } : {}),
            ...(values.entryId ? { entryId: values.entryId } : {}),
            ...(values.adjustmentId ? { adjustmentId: values.adjustmentId } : {}),
          },
        });
      },
    });
    if (done) {
      toast(`Exception ${exception.id}: ${action} recorded.`);
      await reload();
    }
  };
  const open = exception.status === 'OPEN' || exception.status === 'ACKNOWLEDGED';
  return h(
    'div',
    { class: 'actions' },
    exception.status === 'OPEN' ? h('button', { type: 'button', onclick: () => void act('acknowledge') }, 'Acknowledge') : null,
    open ? h('button', { type: 'button', onclick: () => void act('resolve') }, 'Resolve…') : null,
    open ? h('button', { type: 'button', onclick: () => void act('accept') }, 'Accept…') : null,
  );
}

function statementSection(day: string, statements: DayStatements, exceptions: StatementException[], reload: () => Promise<void>): HTMLElement {
  const file = h('input', { type: 'file', accept: '.csv,text/csv', 'data-testid': 'bank-statement-file' });
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const upload = h(
    'form',
    { class: 'panel', novalidate: true, 'aria-label': 'Upload a bank statement' },
    field('Bank statement (CSV: line_id,reference,amount,currency,value_date)', file),
    formError,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Upload and match')),
  );
  upload.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.textContent = '';
    const chosen = file.files?.[0];
    if (!chosen) {
      formError.textContent = 'Choose the CSV file first.';
      return;
    }
    try {
      const stored = await api.post('/v1/reconciliations/{date}/statements', { params: { date: day }, body: { fileName: chosen.name, csv: await chosen.text() } });
      toast(`${stored.lines} line(s) stored: ${stored.matching.matchesCreated} match(es), ${stored.matching.exceptionsCreated} new exception(s).`);
      await reload();
    } catch (error) {
      showFailure(error, { file }, formError);
    }
  });
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'statements-heading', 'data-testid': 'statement-matching' },
    h('h2', { id: 'statements-heading' }, 'Statement matching'),
    statements.missing.length > 0 ? h('p', { class: 'form-error', role: 'status' }, `No statement yet for: ${statements.missing.join(', ')}`) : null,
    definitionList([
      ['Exceptions', `${statements.exceptions.open} open, ${statements.exceptions.acknowledged} acknowledged, ${statements.exceptions.resolved} resolved, ${statements.exceptions.accepted} accepted`],
      ['Statements', statements.statements.map((statement) => `${statement.source}: ${statement.origin} (${statement.lineCount} lines, ${formatTime(statement.receivedAt)})`).join('; ') || '—'],
    ]),
    table(
      ['Source', 'Currency', 'Payouts', 'Payouts total', 'Lines', 'Lines total', 'Difference'],
      statements.comparison.map((row) =>
        h(
          'tr',
          { 'data-testid': 'statement-comparison', 'data-source': row.source },
          h('td', {}, row.source),
          h('td', {}, row.currency),
          h('td', { class: 'number' }, row.payouts),
          h('td', { class: 'number' }, formatMoney(row.payoutsTotal, row.currency)),
          h('td', { class: 'number' }, row.lines),
          h('td', { class: 'number' }, formatMoney(row.linesTotal, row.currency)),
          h('td', { class: 'number' }, formatMoney(row.difference, row.currency)),
        ),
      ),
      { caption: 'Completed payouts against the statements', empty: 'No completed payout and no statement line on this day.' },
    ),
    table(
      ['Id', 'Kind', 'Subject', 'Amount', 'Status', 'Note', 'Actions'],
      exceptions.map((exception) =>
        h(
          'tr',
          { 'data-testid': 'statement-exception', 'data-kind': exception.kind, 'data-status': exception.status },
          h('td', { class: 'mono' }, exception.id),
          h('td', {}, exception.kind),
          h('td', {}, exception.payoutId ? link(`/app/admin/payouts/${exception.payoutId}`, exception.subject) : exception.subject, h('div', { class: 'muted small' }, exception.detail)),
          h('td', { class: 'number' }, formatMoney(exception.amount, exception.currency)),
          h('td', {}, statusBadge(exception.status)),
          h('td', {}, exception.note ?? '—', exception.correctingEntryId ? h('div', { class: 'muted small' }, `entry ${exception.correctingEntryId}`) : null),
          h('td', {}, exceptionActions(day, exception, reload)),
        ),
      ),
      { caption: 'Exceptions (an open or acknowledged one blocks the sign-off)', empty: 'No exception.' },
    ),
    table(
      ['Line', 'Source', 'Reference', 'Amount', 'Value date', 'Match'],
      statements.lines.map((line) =>
        h(
          'tr',
          { 'data-testid': 'statement-line', 'data-matched': line.matchId ? 'yes' : 'no' },
          h('td', { class: 'mono' }, line.lineRef),
          h('td', {}, line.source),
          h('td', { class: 'mono' }, line.reference ?? '—'),
          h('td', { class: 'number' }, formatMoney(line.amount, line.currency)),
          h('td', {}, line.valueDate),
          h('td', {}, line.matchId ? `${statements.matches.find((match) => match.id === line.matchId)?.rule ?? ''} #${line.matchId}` : 'unmatched'),
        ),
      ),
      { caption: 'Statement lines', empty: 'No statement line.' },
    ),
    upload,
  );
}

export const reconciliationPage: Page = async (context) => {
  const day = context.params.date!;
  document.title = `Reconciliation ${day} · ledgerflow`;
  const load = async () => {
    const [reconciliation, statements, { exceptions }] = await Promise.all([
      api.get('/v1/reconciliations/{date}', { params: { date: day } }),
      api.get('/v1/reconciliations/{date}/statements', { params: { date: day } }),
      api.get('/v1/reconciliations/{date}/exceptions', { params: { date: day } }),
    ]);
    replace(
      context.root,
      h('p', {}, link(base, '← Reconciled days')),
      h('h1', {}, `Reconciliation of ${day}`),
      h(
        'section',
        { class: 'panel' },
        definitionList([
          ['Status', statusBadge(reconciliation.status)],
          ['Ledger', reconciliation.report.balanced ? 'balanced' : 'variance'],
          ['Items to explain', reconciliation.unexplained.length === 0 ? 'none' : reconciliation.unexplained.join(', ')],
          ['Signed', reconciliation.signedAt ? `${formatTime(reconciliation.signedAt)} by ${reconciliation.signedBy} (${reconciliation.signedRole})` : '—'],
        ]),
      ),
      statementSection(day, statements, exceptions, load),
    );
  };
  await load();
};
