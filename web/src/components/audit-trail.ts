import { formatMoney, formatTime, h, table } from '../dom.ts';
import type { AuditRecord } from '../types.ts';

/**
 * The audit trail as a table (docs/rules.md#audit-trail): every field a record carries, from GET
 * /v1/reports/audit-trail: when, action, target, actor, client address, amount, the balance before and after (and
 * which account), the reason, the journal entry and the checksum with whether the content still matches it.
 */
export function auditTrailTable(records: AuditRecord[], options: { showTarget: boolean; empty: string }): HTMLElement {
  const headers = ['When', 'Action', ...(options.showTarget ? ['Target'] : []), 'By', 'Client address', 'Amount', 'Balance before', 'Balance after', 'Reason', 'Entry', 'Checksum'];
  return table(
    headers,
    records.map((record) =>
      h(
        'tr',
        { 'data-audit-id': record.id, 'data-action': record.action },
        h('td', {}, formatTime(record.createdAt)),
        h('td', {}, record.action),
        options.showTarget ? h('td', {}, `${record.targetType} ${record.targetId.slice(0, 12)}`) : null,
        h('td', { title: record.actor }, record.actor.length > 20 ? record.actor.slice(0, 8) : record.actor),
        h('td', { class: 'mono', 'data-testid': 'audit-client-address' }, record.clientAddress ?? '—'),
        h('td', { class: 'number' }, formatMoney(record.amount, record.currency)),
        h('td', { class: 'number', title: record.balanceAccount ?? '' }, record.balanceBefore === null ? '—' : formatMoney(record.balanceBefore, record.currency)),
        h('td', { class: 'number', title: record.balanceAccount ?? '' }, record.balanceAfter === null ? '—' : formatMoney(record.balanceAfter, record.currency)),
        h('td', {}, record.reason ?? ''),
        h('td', { class: 'mono' }, record.entryId ?? '—'),
        h(
          'td',
          { class: 'mono', title: record.checksum, 'data-testid': 'audit-checksum' },
          `${record.checksum.slice(0, 12)}… `,
          record.checksumValid ? h('span', { class: 'badge' }, 'matches') : h('span', { class: 'badge error' }, 'ALTERED'),
        ),
      ),
    ),
    { empty: options.empty },
  );
}
