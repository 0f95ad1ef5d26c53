import { csvRecord } from './csv.ts';
import { Money, formatMoney } from './money.ts';
import type { PaymentMethod } from './payout-policy.ts';

/**
 * Payout export files (docs/rules.md#payout-exports): the CSV of all or only new requests, the PayQuicker-compatible file, and a batch
 * file per payment method for upload to the provider or bank. Pure formatting: the API selects the payouts,
 * records the export and stores the bytes this module produces.
 *
 * Every file is CSV as RFC 4180 writes it: comma-separated, CRLF after every record (the last included), a field
 * quoted when it holds a comma, a double quote, CR or LF, with inner quotes doubled. Every field is also made safe
 * to open in a spreadsheet (CSV injection, domain/csv.ts): a value beginning with = + - @, TAB or CR gets a leading
 * single quote, so it is shown as text instead of being run as a formula. Money is written exactly as stored — the
 * decimal string the database holds at the currency's scale — and never passes through a number.
 */

export const payoutExportKinds = ['CSV_ALL', 'CSV_NEW', 'PAYQUICKER', 'METHOD_BATCH'] as const;
export type PayoutExportKind = (typeof payoutExportKinds)[number];

/** One payout as the export files see it: every value is text as stored. */
export interface ExportedPayout {
  id: string;
  partnerId: string;
  partnerName: string;
  methodId: string;
  currency: string;
  amount: string;
  fee: string;
  amountToTransfer: string;
  status: string;
  priority: string;
  /** ISO 8601, UTC: when the payout row was created (for a payout requested directly, when it was requested). */
  createdAt: string;
  slaDueAt: string;
  externalReference: string | null;
  providerReference: string | null;
  /** The payout's own copy of the details it is paid to. */
  paymentDetails: Readonly<Record<string, string>>;
}

/** A payout that cannot go into the file asked for; the API answers 422 naming the payout. */
export class PayoutExportError extends Error {
  constructor(
    readonly code: 'missing_payment_detail' | 'mixed_currencies',
    message: string,
  ) {
    super(message);
  }
}

/** A non-negative decimal as stored: digits, optionally a point and more digits. No sign, exponent or spaces. */
const storedMoney = /^(0|[1-9]\d*)(\.\d+)?$/;

/**
 * Money goes into a file verbatim. Anything but a plain non-negative decimal string is a bug upstream (a number
 * that slipped through, a negative amount), and the file is refused rather than written wrong.
 */
export function moneyField(value: string): string {
  if (typeof value !== 'string' || !storedMoney.test(value)) {
    throw new TypeError(`money in an export must be a stored decimal string, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The fixed columns of the CSV exports: the queue columns in docs/rules.md#payout-queue (request id, partner name and id, amount, method,
 * status, priority; its "Requested At" is `created_at`, "Assigned To" is not recorded on payouts yet), then
 * currency, fee, amount to transfer, the SLA deadline and the references.
 */
export const payoutCsvColumns = [
  'request_id', 'partner_id', 'partner_name', 'amount', 'currency', 'method', 'fee', 'amount_to_transfer',
  'created_at', 'status', 'priority', 'sla_due_at', 'external_reference', 'provider_reference',
] as const;

/**
 * CSV_ALL / CSV_NEW: one record per payout with the queue columns, then one `details.<key>` column per payment
 * detail key any listed payout has (sorted by key), so each field can be filtered on in a spreadsheet. A payout
 * without a key leaves that column empty.
 */
export function formatPayoutCsv(payouts: readonly ExportedPayout[]): string {
  const detailKeys = [...new Set(payouts.flatMap((payout) => Object.keys(payout.paymentDetails)))].sort();
  let text = csvRecord([...payoutCsvColumns, ...detailKeys.map((key) => `details.${key}`)]);
  for (const payout of payouts) {
    text += csvRecord([
      payout.id,
      payout.partnerId,
      payout.partnerName,
      moneyField(payout.amount),
      payout.currency,
      payout.methodId,
      moneyField(payout.fee),
      moneyField(payout.amountToTransfer),
      payout.createdAt,
      payout.status,
      payout.priority,
      payout.slaDueAt,
      payout.externalReference ?? '',
      payout.providerReference ?? '',
      ...detailKeys.map((key) => detailOf(payout, key)),
    ]);
  }
  return text;
}

/**
 * The PayQuicker-compatible file. The sources name the format but not its columns; these follow the field names
 * of PayQuicker's payment API (recipient e-mail, program user id, amount, currency, client payment id for
 * de-duplication). The amount is what the partner receives (amount to transfer); the client payment id is the
 * payout id, so an upload repeated by mistake is refused by PayQuicker instead of paying twice. No totals record:
 * the portal takes payment rows only.
 */
export const payQuickerColumns = ['Email', 'ProgramUserId', 'Amount', 'Currency', 'ClientPaymentId'] as const;

export function formatPayQuickerCsv(payouts: readonly ExportedPayout[]): string {
  let text = csvRecord(payQuickerColumns);
  for (const payout of payouts) {
    text += csvRecord([requiredDetail(payout, 'email'), payout.partnerId, moneyField(payout.amountToTransfer), payout.currency, payout.id]);
  }
  return text;
}

/** A batch file's columns: each detail field under its header, then the amount and the reference. */
export interface BatchLayout {
  detailColumns: readonly { header: string; field: string; required: boolean }[];
}

/**
 * Batch layouts of the default methods (the bank's and wallets' upload columns), by method id. A method the
 * policy adds later gets its configured fields in their configured order, under their own names.
 */
const namedBatchLayouts: Readonly<Record<string, BatchLayout>> = {
  BANK_TRANSFER: {
    detailColumns: [
      { header: 'account_name', field: 'accountName', required: true },
      { header: 'account_number', field: 'accountNumber', required: true },
      { header: 'routing_number', field: 'routingNumber', required: true },
    ],
  },
  CRYPTO_WALLET: {
    detailColumns: [
      { header: 'address', field: 'walletAddress', required: true },
      { header: 'network', field: 'network', required: true },
    ],
  },
  YOOMONEY: { detailColumns: [{ header: 'wallet', field: 'wallet', required: true }] },
};

export function batchLayoutFor(method: Pick<PaymentMethod, 'id' | 'fields'>): BatchLayout {
  return namedBatchLayouts[method.id] ?? {
    detailColumns: method.fields.map((field) => ({ header: field.name, field: field.name, required: field.required })),
  };
}

/**
 * METHOD_BATCH: the APPROVED payouts of one method, for upload to its provider or bank. Columns are the layout's
 * detail columns, `amount` (the amount to transfer) and `reference` (the payout id, to match the bank statement
 * back). The last record is the control total `TOTAL,<count>,<sum of amounts>,<currency>`: a reader counts the
 * records between the header and it, and checks the sum, before uploading. One currency per batch.
 */
export function formatMethodBatch(method: Pick<PaymentMethod, 'id' | 'fields' | 'currency'>, payouts: readonly ExportedPayout[]): string {
  const layout = batchLayoutFor(method);
  const currencies = [...new Set(payouts.map((payout) => payout.currency))];
  if (currencies.length > 1) {
    throw new PayoutExportError('mixed_currencies', `the ${method.id} payouts are in ${currencies.sort().join(' and ')}; a batch holds one currency`);
  }
  let text = csvRecord([...layout.detailColumns.map((column) => column.header), 'amount', 'reference']);
  for (const payout of payouts) {
    const details = layout.detailColumns.map((column) =>
      column.required ? requiredDetail(payout, column.field) : detailOf(payout, column.field),
    );
    text += csvRecord([...details, moneyField(payout.amountToTransfer), payout.id]);
  }
  const currency = currencies[0] ?? method.currency;
  const total = payouts.length === 0 ? formatMoney('0', currency) : sumAmounts(payouts.map((payout) => payout.amountToTransfer), currency);
  return text + csvRecord(['TOTAL', String(payouts.length), total, currency]);
}

export interface CurrencyTotals {
  count: number;
  amount: string;
  fee: string;
  amountToTransfer: string;
}

/** Per currency: how many payouts, and the sums of their amounts, fees and amounts to transfer. */
export function exportTotals(payouts: readonly ExportedPayout[]): Record<string, CurrencyTotals> {
  const byCurrency = new Map<string, ExportedPayout[]>();
  for (const payout of payouts) byCurrency.set(payout.currency, [...(byCurrency.get(payout.currency) ?? []), payout]);
  const totals: Record<string, CurrencyTotals> = {};
  for (const currency of [...byCurrency.keys()].sort()) {
    const group = byCurrency.get(currency)!;
    totals[currency] = {
      count: group.length,
      amount: sumAmounts(group.map((payout) => payout.amount), currency),
      fee: sumAmounts(group.map((payout) => payout.fee), currency),
      amountToTransfer: sumAmounts(group.map((payout) => payout.amountToTransfer), currency),
    };
  }
  return totals;
}

/** A sum of stored amounts: exact (no rounding happens), written at the currency's scale. */
function sumAmounts(values: readonly string[], currency: string): string {
  let total = new Money(0);
  for (const value of values) total = total.plus(moneyField(value));
  return formatMoney(total, currency);
}

/** A detail's value, or '' when the payout has none (own keys only: `constructor` is not a detail). */
function detailOf(payout: ExportedPayout, field: string): string {
  return Object.hasOwn(payout.paymentDetails, field) ? payout.paymentDetails[field]! : '';
}

function requiredDetail(payout: ExportedPayout, field: string): string {
  const value = detailOf(payout, field);
  if (value === '') {
    throw new PayoutExportError('missing_payment_detail', `payout ${payout.id} has no ${field} in its payment details`);
  }
  return value;
}
