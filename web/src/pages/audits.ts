import { api, download, query } from '../api.ts';
import { formDialog } from '../dialog.ts';
import { definitionList, formatTime, h, link, replace, statusBadge, table, toast } from '../dom.ts';
import type { Page } from '../router.ts';
import type { ResponseOf } from '../types.ts';

/**
 * The audit schedule (issue #18, docs/rules.md#audit-schedule): the runs, newest first, with their open findings; one
 * run's evidence and findings, each resolved or accepted with a note; the run's sign-off with a fresh TOTP code; an
 * audit started on demand; and the annual export's download.
 */

type AuditRun = ResponseOf<'/v1/audits/{id}', 'get'>;

const base = '/app/admin/audits';
const kinds = ['transaction-sample', 'balances', 'commission-recalc', 'large-payouts', 'access-review', 'full-export'] as const;

export const auditsPage: Page = async (context) => {
  const kind = context.search.get('kind') ?? '';
  const page = await api.get('/v1/audits', { query: { kind: (kinds as readonly string[]).includes(kind) ? (kind as (typeof kinds)[number]) : undefined, limit: 100 } });
  document.title = 'Audits · ledgerflow';
  const start = async () => {
    const kindControl = h('select', {}, ...kinds.map((value) => h('option', { value }, value)));
    const period = h('input', { required: true, placeholder: '2026-W49, 2026-11, 2026-Q3 or 2025', maxlength: 10 });
    const done = await formDialog({
      title: 'Start an audit',
      intro: 'The period must have ended. A period already audited returns the stored run.',
      fields: [
        { name: 'kind', label: 'Kind', control: kindControl },
        { name: 'period', label: 'Period', control: period, hint: 'weekly kinds: 2026-W49; monthly: 2026-11; access review: 2026-Q3; export: 2025' },
      ],
      submitLabel: 'Start',
      submit: async (values) => {
        await api.post('/v1/audits', { body: { kind: values.kind as (typeof kinds)[number], period: values.period!.trim() } });
        toast('Started: the run appears here once computed.');
      },
    });
    if (done) context.navigate(`${base}${query({ kind })}`);
  };
  replace(
    context.root,
    h('h1', {}, 'Audits'),
    h(
      'p',
      {},
      'Filter: ',
      link(base, 'all'),
      ...kinds.flatMap((value) => [' · ', link(`${base}${query({ kind: value })}`, value)]),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: start }, 'Start an audit…')),
    table(
      ['Kind', 'Period', 'Findings', 'Open', 'Status', 'Signed by', 'Computed'],
      page.runs.map((run) =>
        h(
          'tr',
          { 'data-id': run.id },
          h('td', {}, link(`${base}/${run.id}`, run.kind)),
          h('td', {}, run.period),
          h('td', { class: 'number' }, run.findings.total),
          h('td', { class: 'number' }, run.findings.open),
          h('td', {}, statusBadge(run.status)),
          h('td', {}, run.signedBy ?? '—'),
          h('td', {}, formatTime(run.finishedAt)),
        ),
      ),
      { caption: 'Newest first', empty: 'No audit has run yet.' },
    ),
  );
};

export const auditPage: Page = async (context) => {
  const run: AuditRun = await api.get('/v1/audits/{id}', { params: { id: context.params.id! } });
  document.title = `Audit ${run.kind} ${run.period} · ledgerflow`;
  const reload = () => context.navigate(`${base}/${run.id}`);
  const decide = async (findingId: string) => {
    const status = h('select', {}, h('option', { value: 'RESOLVED' }, 'Resolved: the problem was corrected'), h('option', { value: 'ACCEPTED' }, 'Accepted: it stands, for the reason given'));
    const note = h('textarea', { required: true, maxlength: 2000, rows: 4 });
    const done = await formDialog({
      title: 'Decide the finding',
      fields: [
        { name: 'status', label: 'Decision', control: status },
        { name: 'note', label: 'Note', control: note },
      ],
      submitLabel: 'Record',
      submit: async (values) => {
        await api.post('/v1/audits/{id}/findings/{findingId}', { params: { id: run.id, findingId }, body: { status: values.status as 'RESOLVED' | 'ACCEPTED', note: values.note!.trim() } });
      },
    });
    if (done) reload();
  };
  const signOff = async () => {
    const done = await formDialog({
      title: 'Sign the run off',
      intro: `You sign the ${run.kind} audit of ${run.period} off (SHA-256 ${run.sha256}). A signed run never changes.`,
      fields: [],
      totp: true,
      submitLabel: 'Sign off',
      submit: async (_values, totp) => {
        await api.post('/v1/audits/{id}/sign-off', { params: { id: run.id }, totp });
      },
    });
    if (done) reload();
  };
  replace(
    context.root,
    h('p', {}, link(base, '← Audits')),
    h('h1', {}, `${run.kind} · ${run.period}`),
    definitionList([
      ['Status', statusBadge(run.status)],
      ['Period', `${formatTime(run.periodStart)} – ${formatTime(run.periodEnd)}`],
      ['Started by', run.requestedBy ?? 'its Schedule'],
      ['Seed', run.seed ?? '—'],
      ['SHA-256', run.sha256],
      ['Findings', `${run.findings.total} (${run.findings.open} open)`],
      ['Signed', run.signedBy ? `${run.signedBy} (${run.signedRole}) at ${formatTime(run.signedAt)}` : '—'],
    ]),
    run.exportUrl
      ? h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => download(run.exportUrl!, `audit-${run.period}.tar`).catch((error: unknown) => toast(String(error), 'error')) }, 'Download the export'))
      : null,
    table(
      ['Check', 'Subject', 'Detail', 'Status', 'Note', ''],
      run.findingList.map((finding) =>
        h(
          'tr',
          { 'data-id': finding.id },
          h('td', {}, finding.check),
          h('td', {}, finding.subject),
          h('td', {}, h('code', {}, JSON.stringify(finding.detail))),
          h('td', {}, statusBadge(finding.status)),
          h('td', {}, finding.note ? `${finding.note} (${finding.resolvedBy})` : '—'),
          h('td', {}, finding.status === 'OPEN' && run.status !== 'SIGNED' ? h('button', { type: 'button', onclick: () => decide(finding.id) }, 'Decide…') : ''),
        ),
      ),
      { caption: 'Findings', empty: 'Nothing found.' },
    ),
    run.status === 'SIGNED'
      ? null
      : h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', disabled: run.findings.open > 0, onclick: signOff }, run.findings.open > 0 ? `Sign off (${run.findings.open} finding(s) open)` : 'Sign off…')),
    h('details', {}, h('summary', {}, 'What the run examined'), h('pre', {}, JSON.stringify(run.report, null, 2))),
  );
};
