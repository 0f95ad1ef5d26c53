import { formatDate } from '../dom.ts';
import type { Commission } from '../types.ts';

/** When the money becomes available: the release date for a pending commission, else what already happened. */
export function expectedRelease(commission: Commission): string {
  if (commission.status === 'PENDING') return `${formatDate(commission.releaseAt)} (expected)`;
  if (commission.status === 'APPROVED') return `released ${formatDate(commission.approvedAt)}; paid in the next pay run`;
  if (commission.status === 'PAID') return `paid ${formatDate(commission.paidAt)}`;
  return '—';
}
