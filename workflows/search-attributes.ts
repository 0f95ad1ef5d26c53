import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import { Money } from '../domain/money.ts';
import type { PayoutRequest } from './payout-messages.ts';

/**
 * The custom search attributes ledgerflow keeps current on its workflows, so ops can filter lifecycles in the
 * Temporal UI. `searchAttributeTypes` is what the stack registers on the server (names and Temporal types).
 * Amount is a Double for filtering and sorting only; the money itself travels as a decimal string.
 */
export const partnerIdKey = defineSearchAttributeKey('PartnerId', SearchAttributeType.KEYWORD);
export const amountKey = defineSearchAttributeKey('Amount', SearchAttributeType.DOUBLE);
export const currencyKey = defineSearchAttributeKey('Currency', SearchAttributeType.KEYWORD);
export const statusKey = defineSearchAttributeKey('Status', SearchAttributeType.KEYWORD);
export const payoutStatusKey = defineSearchAttributeKey('PayoutStatus', SearchAttributeType.KEYWORD);
export const methodKey = defineSearchAttributeKey('Method', SearchAttributeType.KEYWORD);
export const priorityKey = defineSearchAttributeKey('Priority', SearchAttributeType.KEYWORD);

/** Names and types as the Temporal CLI's `--search-attribute KEY=TYPE` and the operator service expect them. */
export const searchAttributeTypes = {
  PartnerId: 'Keyword',
  Amount: 'Double',
  Currency: 'Keyword',
  Status: 'Keyword',
  PayoutStatus: 'Keyword',
  Method: 'Keyword',
  Priority: 'Keyword',
} as const;

/** What `payout-<id>` starts with, whoever starts it (the API, the schedule's run, the sweep). */
export function payoutSearchAttributesAtStart(request: PayoutRequest): SearchAttributePair[] {
  return [
    { key: partnerIdKey, value: request.partnerId },
    // A Double search attribute is for filtering in the Temporal UI only; the money is the string.
    { key: amountKey, value: new Money(request.amount).toNumber() },
    { key: currencyKey, value: request.currency },
    { key: payoutStatusKey, value: 'REQUESTED' },
    { key: methodKey, value: request.methodId },
    { key: priorityKey, value: request.priority },
  ];
}
