import { describe, expect, it } from 'vitest';
import { defaultPayoutPolicy } from '../../domain/payout-policy.ts';
import { csvField, csvRecord } from '../../domain/csv.ts';
import {
  PayoutExportError,
  exportTotals,
  formatMethodBatch,
  formatPayQuickerCsv,
  formatPayoutCsv,
  moneyField,
  type ExportedPayout,
} from '../../domain/payout-export.ts';
import { changedDetailFields } from '../../modules/payouts/details-change.ts';

const method = (id: string) => defaultPayoutPolicy.methods.find((candidate) => candidate.id === id)!;

const payout = (overrides: Partial<ExportedPayout> = {}): ExportedPayout => ({
  id: '00000000-0000-4000-8000-000000000001',
  partnerId: 'p_1',
  partnerName: 'Jane Doe',
  methodId: 'BANK_TRANSFER',
  currency: 'USD',
  amount: '100.00',
  fee: '5.00',
  amountToTransfer: '95.00',
  status: 'APPROVED',
  priority: 'NORMAL',
  createdAt: '2025-03-01T10:00:00.000Z',
  slaDueAt: '2025-03-03T10:00:00.000Z',
  externalReference: null,
  providerReference: null,
  paymentDetails: { accountName: 'Jane Doe', accountNumber: '12345678', routingNumber: '021000021' },
  ...overrides,
});

/** Splits RFC 4180 text into records of fields (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index]!;
    if (quoted) {
      if (character === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (character === '"') {
        quoted = false;
      } else {
        field += character;
      }
    } else if (character === '"') {
      expect(field, 'a quote opens a field only at its start').toBe('');
      quoted = true;
    } else if (character === ',') {
      record.push(field);
      field = '';
    } else if (character === '\r' && text[index + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      index += 1;
    } else {
      expect(character, 'a bare CR or LF outside quotes').not.toMatch(/[\r\n]/);
      field += character;
    }
  }
  expect({ record, field, quoted }, 'every record ends with CRLF').toEqual({ record: [], field: '', quoted: false });
  return records;
}

describe('CSV fields (RFC 4180)', () => {
  it('a plain value is written as it is', () => {
    expect(csvField('Jane Doe')).toBe('Jane Doe');
  });

  it('a value with a comma, a quote or a line break is quoted, inner quotes doubled', () => {
    expect(csvField('Doe, Jane')).toBe('"Doe, Jane"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('line\r\nbreak')).toBe('"line\r\nbreak"');
  });

  it('records end with CRLF and round-trip through a strict parser', () => {
    const values = ['a,b', '"q"', 'multi\r\nline', '', 'plain'];
    expect(csvRecord(values)).toBe('"a,b","""q""","multi\r\nline",,plain\r\n');
    expect(parseCsv(csvRecord(values))).toEqual([values]);
  });
});

describe('CSV injection', () => {
  it.each(['=HYPERLINK("http://x")', '+1+1', '-2+3', '@SUM(A1)', '\tTAB', '\rCR'])('%j gets a leading single quote', (value) => {
    const field = csvField(value);
    const unquoted = field.startsWith('"') ? field.slice(1, -1).replaceAll('""', '"') : field;
    expect(unquoted).toBe(`'${value}`);
  });

  it('a formula with a comma is both neutralised and quoted', () => {
    expect(csvField('=SUM(A1,B1)')).toBe(`"'=SUM(A1,B1)"`);
  });

  it('a value with the characters elsewhere is left alone', () => {
    expect(csvField('a=b')).toBe('a=b');
    expect(csvField('jane+tag@example.com')).toBe('jane+tag@example.com');
  });
});

describe('money in files', () => {
  it('is the stored decimal text, trailing zeros and all', () => {
    expect(moneyField('100.00')).toBe('100.00');
    expect(moneyField('1.500000')).toBe('1.500000');
    expect(moneyField('1234567890123.45')).toBe('1234567890123.45');
  });

  it('refuses anything that is not a stored non-negative decimal string', () => {
    expect(() => moneyField(100 as unknown as string)).toThrow(TypeError);
    expect(() => moneyField('-5.00')).toThrow(TypeError);
    expect(() => moneyField('1e3')).toThrow(TypeError);
    expect(() => moneyField(' 5.00')).toThrow(TypeError);
  });

  it('totals add exactly per currency, at the currency scale', () => {
    const totals = exportTotals([
      payout({ amount: '0.10', fee: '0.00', amountToTransfer: '0.10' }),
      payout({ amount: '0.20', fee: '0.00', amountToTransfer: '0.20' }),
      payout({ currency: 'USDT', amount: '20.000001', fee: '1.000000', amountToTransfer: '19.000001' }),
    ]);
    // 0.1 + 0.2 in floating point is 0.30000000000000004.
    expect(totals).toEqual({
      USD: { count: 2, amount: '0.30', fee: '0.00', amountToTransfer: '0.30' },
      USDT: { count: 1, amount: '20.000001', fee: '1.000000', amountToTransfer: '19.000001' },
    });
  });
});

describe('the payouts CSV (CSV_ALL, CSV_NEW)', () => {
  it('has the queue columns in docs/rules.md#payout-queue, method, fee, amount to transfer, and one column per detail key', () => {
    const text = formatPayoutCsv([
      payout(),
      payout({
        id: '00000000-0000-4000-8000-000000000002',
        partnerName: '=cmd|\' /C calc\'!A0, "Evil" Ltd',
        methodId: 'CRYPTO_WALLET',
        currency: 'USDT',
        amount: '20.500000',
        fee: '1.000000',
        amountToTransfer: '19.500000',
        externalReference: '-ref',
        paymentDetails: { walletAddress: 'TXYZabc123456789012345678901', network: 'TRC20' },
      }),
    ]);
    const [header, first, second, ...rest] = parseCsv(text);
    expect(rest).toEqual([]);
    expect(header).toEqual([
      'request_id', 'partner_id', 'partner_name', 'amount', 'currency', 'method', 'fee', 'amount_to_transfer',
      'created_at', 'status', 'priority', 'sla_due_at', 'external_reference', 'provider_reference',
      'details.accountName', 'details.accountNumber', 'details.network', 'details.routingNumber', 'details.walletAddress',
    ]);
    expect(first).toEqual([
      '00000000-0000-4000-8000-000000000001', 'p_1', 'Jane Doe', '100.00', 'USD', 'BANK_TRANSFER', '5.00', '95.00',
      '2025-03-01T10:00:00.000Z', 'APPROVED', 'NORMAL', '2025-03-03T10:00:00.000Z', '', '',
      'Jane Doe', '12345678', '', '021000021', '',
    ]);
    expect(second!.slice(2, 8)).toEqual([`'=cmd|' /C calc'!A0, "Evil" Ltd`, '20.500000', 'USDT', 'CRYPTO_WALLET', '1.000000', '19.500000']);
    expect(second![12]).toBe(`'-ref`);
    expect(second!.slice(14)).toEqual(['', '', 'TRC20', '', 'TXYZabc123456789012345678901']);
    // The raw text: the hostile name is quoted (it holds a comma and quotes) and starts with the neutralising quote.
    expect(text).toContain(`"'=cmd|' /C calc'!A0, ""Evil"" Ltd"`);
  });

  it('with no payouts it is the header alone', () => {
    expect(formatPayoutCsv([])).toBe(`${csvRecord([
      'request_id', 'partner_id', 'partner_name', 'amount', 'currency', 'method', 'fee', 'amount_to_transfer',
      'created_at', 'status', 'priority', 'sla_due_at', 'external_reference', 'provider_reference',
    ])}`);
  });

  it('a detail key named like an Object property is empty unless the payout has it', () => {
    const custom = { id: 'CUSTOM', currency: 'USD', fields: [{ name: 'toString', label: 'x', pattern: '.*', required: false }] };
    const text = formatMethodBatch(custom, [payout({ paymentDetails: {} })]);
    expect(parseCsv(text)[1]).toEqual(['', '95.00', '00000000-0000-4000-8000-000000000001']);
  });
});

describe('the PayQuicker file', () => {
  it('lists e-mail, program user id, amount to transfer, currency and the payout id as client payment id', () => {
    const text = formatPayQuickerCsv([
      payout({ methodId: 'PAYQUICKER', amount: '100.00', fee: '2.00', amountToTransfer: '98.00', paymentDetails: { email: '@jane@example.com' } }),
    ]);
    expect(text).toBe(
      'Email,ProgramUserId,Amount,Currency,ClientPaymentId\r\n' +
        `'@jane@example.com,p_1,98.00,USD,00000000-0000-4000-8000-000000000001\r\n`,
    );
  });

  it('refuses a payout without an e-mail', () => {
    expect(() => formatPayQuickerCsv([payout()])).toThrow(PayoutExportError);
  });
});

describe('batch files per method', () => {
  it('bank transfer: account name, number, routing, amount, reference, and the control total', () => {
    const text = formatMethodBatch(method('BANK_TRANSFER'), [
      payout(),
      payout({
        id: '00000000-0000-4000-8000-000000000002',
        amount: '1000.10',
        fee: '10.00',
        amountToTransfer: '990.10',
        paymentDetails: { accountName: "-O'Brien, Pat", accountNumber: '0001234', routingNumber: '011000015' },
      }),
    ]);
    expect(text).toBe(
      'account_name,account_number,routing_number,amount,reference\r\n' +
        'Jane Doe,12345678,021000021,95.00,00000000-0000-4000-8000-000000000001\r\n' +
        `"'-O'Brien, Pat",0001234,011000015,990.10,00000000-0000-4000-8000-000000000002\r\n` +
        'TOTAL,2,1085.10,USD\r\n',
    );
  });

  it('crypto: address, network, amount (at the token’s 6 places), reference', () => {
    const text = formatMethodBatch(method('CRYPTO_WALLET'), [
      payout({ currency: 'USDT', amount: '20.000000', fee: '1.000000', amountToTransfer: '19.000000', paymentDetails: { walletAddress: 'TXYZabc123456789012345678901', network: 'TRC20' } }),
    ]);
    expect(text).toBe(
      'address,network,amount,reference\r\n' +
        'TXYZabc123456789012345678901,TRC20,19.000000,00000000-0000-4000-8000-000000000001\r\n' +
        'TOTAL,1,19.000000,USDT\r\n',
    );
  });

  it('YooMoney: wallet, amount, reference; an empty batch is the header and a zero total in the method’s currency', () => {
    expect(formatMethodBatch(method('YOOMONEY'), [
      payout({ currency: 'RUB', amount: '1234.50', fee: '50.00', amountToTransfer: '1184.50', paymentDetails: { wallet: '410011234567' } }),
    ])).toBe('wallet,amount,reference\r\n410011234567,1184.50,00000000-0000-4000-8000-000000000001\r\nTOTAL,1,1184.50,RUB\r\n');
    expect(formatMethodBatch(method('YOOMONEY'), [])).toBe('wallet,amount,reference\r\nTOTAL,0,0.00,RUB\r\n');
  });

  it('a method the policy adds later gets its configured fields as columns', () => {
    const custom = { id: 'QIWI', currency: 'RUB', fields: [{ name: 'phone', label: 'Phone', pattern: '^\\+7\\d{10}$', required: true }] };
    expect(formatMethodBatch(custom, [payout({ currency: 'RUB', paymentDetails: { phone: '+79001234567' } })])).toBe(
      `phone,amount,reference\r\n'+79001234567,95.00,00000000-0000-4000-8000-000000000001\r\nTOTAL,1,95.00,RUB\r\n`,
    );
  });

  it('refuses a payout missing a detail the layout needs, and a batch of two currencies', () => {
    expect(() => formatMethodBatch(method('BANK_TRANSFER'), [payout({ paymentDetails: { accountName: 'Jane Doe', accountNumber: '1234' } })])).toThrow(
      /no routingNumber/,
    );
    expect(() => formatMethodBatch(method('BANK_TRANSFER'), [payout(), payout({ currency: 'EUR' })])).toThrow(/one currency/);
  });
});

describe('changed payment details', () => {
  it('names keys changed, added and removed, sorted', () => {
    expect(changedDetailFields({ accountName: 'Jane', accountNumber: '1', routingNumber: '2' }, { accountName: 'Jane', accountNumber: '9', iban: 'X' })).toEqual([
      'accountNumber', 'iban', 'routingNumber',
    ]);
    expect(changedDetailFields({ wallet: '41001' }, { wallet: '41001' })).toEqual([]);
  });
});
