import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Money, formatMoney } from '../../domain/money.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { payoutKit, type PayoutView } from '../helpers/payouts.ts';

/**
 * Issue #4's robustness requirement for payout creation: many requests racing for one balance. The API, the real
 * database and the shared Temporal dev server; no worker polls the harness's task queue, so every payout stays
 * REQUESTED and nothing but the requests themselves writes to the database while the test looks.
 */

let api: ApiHarness;
let kit: ReturnType<typeof payoutKit>;

beforeAll(async () => {
  api = await createApiHarness();
  kit = payoutKit(api);
});

afterAll(async () => {
  // close() terminates the workflows the requests started (no worker would ever finish them).
  await api?.close();
});

const bankDetails = { accountName: 'Jane Doe', accountNumber: '12345678', routingNumber: '021000021' };
const walletDetails = { walletAddress: 'TQ1exampleWalletAddress0000000000', network: 'TRC20' };

type Currency = 'USD' | 'USDT';

interface RequestSpec {
  currency: Currency;
  amount: string;
  /** Idempotency-Key; requests sharing one are identical duplicates (same body too). */
  key?: string;
}

interface Answer {
  spec: RequestSpec;
  status: number;
  replayed: boolean;
  body: { id?: string; error?: { code: string; message: string; field?: string } };
}

const funds: Record<Currency, string> = { USD: '300.00', USDT: '90.000000' };

/** 50 requests: most would fit the balance alone (three 100.00 would fit it together), some never fit. */
function fiftyRequests(): RequestSpec[] {
  const specs: RequestSpec[] = [];
  const add = (count: number, spec: (index: number) => RequestSpec) => {
    for (let index = 0; index < count; index += 1) specs.push(spec(index));
  };
  add(10, (index) => ({ currency: 'USD', amount: '100.00', key: `usd-100-${index}` }));
  add(4, (index) => ({ currency: 'USD', amount: '50.00', key: `usd-50-${index}` }));
  add(5, (index) => ({ currency: 'USD', amount: '250.00', key: `usd-250-${index}` }));
  add(5, (index) => ({ currency: 'USD', amount: '300.01', key: `usd-over-${index}` }));
  // Identical duplicates: a client resending the same request under the same key.
  add(4, () => ({ currency: 'USD', amount: '100.00', key: 'usd-resent-a' }));
  add(3, () => ({ currency: 'USD', amount: '150.00', key: 'usd-resent-b' }));
  // Identical bodies without a key: distinct requests as far as the API can tell.
  add(5, () => ({ currency: 'USD', amount: '100.00' }));
  add(6, (index) => ({ currency: 'USDT', amount: '30.000000', key: `usdt-30-${index}` }));
  add(3, (index) => ({ currency: 'USDT', amount: '20.000000', key: `usdt-20-${index}` }));
  add(2, (index) => ({ currency: 'USDT', amount: '90.000001', key: `usdt-over-${index}` }));
  add(3, () => ({ currency: 'USDT', amount: '45.000000', key: 'usdt-resent' }));
  expect(specs).toHaveLength(50);
  // A fixed interleaving of the two currencies and of the duplicates (no randomness: a failure must reproduce).
  return specs.map((spec, index) => ({ spec, order: (index * 37) % 50 })).sort((left, right) => left.order - right.order).map(({ spec }) => spec);
}

const countSchema = z.object({ count: z.number() });

describe('50 concurrent payout requests against one balance', () => {
  it('reserve exactly one payout per wallet, never overdraw, and every refused request changes nothing', async () => {
    const { partnerId, token, userId } = await kit.partnerWithLogin(funds);
    const before = await api.countRows();
    const specs = fiftyRequests();

    const answers: Answer[] = await Promise.all(
      specs.map(async (spec) => {
        const body =
          spec.currency === 'USD'
            ? { partnerId, amount: spec.amount, currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails }
            : { partnerId, amount: spec.amount, currency: 'USDT', methodId: 'CRYPTO_WALLET', paymentDetails: walletDetails };
        const response = await api.request('/v1/payouts', { token, body, headers: spec.key ? { 'idempotency-key': spec.key } : {} });
        const answer: Answer = { spec, status: response.status, replayed: response.headers.get('idempotent-replayed') === 'true', body: (await response.json()) as Answer['body'] };
        if (answer.status === 201) api.startedWorkflowIds.add(`payout-${answer.body.id}`);
        return answer;
      }),
    );
    const describeAnswers = (list: Answer[]) => list.map((answer) => `${answer.spec.currency} ${answer.spec.amount} ${answer.spec.key ?? '-'} → ${answer.status} ${JSON.stringify(answer.body.error ?? answer.body.id)}`).join('\n');

    // Every answer is a success or a named refusal; nothing failed (a 500 would be a race the API does not handle).
    const unexpected = answers.filter((answer) => ![201, 409, 422].includes(answer.status));
    expect(unexpected, `answers other than 201/409/422:\n${describeAnswers(unexpected)}`).toEqual([]);

    const keyUses = new Map<string, number>();
    for (const spec of specs) if (spec.key) keyUses.set(spec.key, (keyUses.get(spec.key) ?? 0) + 1);

    const winners = new Map<Currency, { id: string; spec: RequestSpec }>();
    for (const currency of ['USD', 'USDT'] as const) {
      const mine = answers.filter((answer) => answer.spec.currency === currency);
      const created = mine.filter((answer) => answer.status === 201);
      // The partial unique index lets one active payout per wallet exist, however many requests race for it.
      const ids = new Set(created.map((answer) => answer.body.id));
      expect(ids.size, `${currency}: distinct payouts created:\n${describeAnswers(created)}`).toBe(1);
      const first = created.filter((answer) => !answer.replayed);
      expect(first, `${currency}: first (not replayed) successes`).toHaveLength(1);
      const winner = first[0]!;
      winners.set(currency, { id: winner.body.id!, spec: winner.spec });
      // A replayed success is only ever the winner's own request sent again under its key.
      for (const replay of created.filter((answer) => answer.replayed)) {
        expect(replay.spec.key, 'a replayed 201 answers the same key').toBe(winner.spec.key);
      }

      const left = new Money(funds[currency]).minus(winner.spec.amount);
      for (const refused of mine.filter((answer) => answer.status !== 201)) {
        const error = refused.body.error!;
        const context = `${currency} ${refused.spec.amount} (${refused.spec.key ?? 'no key'}) → ${refused.status} ${JSON.stringify(error)}`;
        if (refused.status === 422) {
          expect(error, context).toMatchObject({ code: 'insufficient_funds', field: 'body.amount' });
          // The balance was only ever the funds or the funds less the winner: this amount did not fit the latter.
          expect(new Money(refused.spec.amount).greaterThan(left), context).toBe(true);
        } else if (error.code === 'request_in_progress') {
          // Refused because the same key was still being processed: only a key sent more than once.
          expect(error.field, context).toBe('Idempotency-Key');
          expect(keyUses.get(refused.spec.key ?? '') ?? 0, context).toBeGreaterThan(1);
        } else {
          expect(error, context).toMatchObject({ code: 'duplicate_request', field: 'body.currency' });
        }
      }
    }

    // The ledger: exactly the winner's amount reserved per wallet, the rest still available, nothing below zero.
    for (const [currency, winner] of winners) {
      const balances = await kit.balances(partnerId, currency);
      expect(balances, currency).toMatchObject({
        available: formatMoney(new Money(funds[currency]).minus(winner.spec.amount), currency),
        payout_reserved: formatMoney(winner.spec.amount, currency),
      });
      expect(new Money(balances.available).isNegative(), `${currency} available`).toBe(false);
    }

    // The refused requests left no trace: two reserve entries (two postings each), two PAYOUT_REQUEST records and the
    // two PARTNER_CHANGE records of the details the winners saved (docs/rules.md#details-change-controls), two payout
    // rows and saved details, and stored idempotency answers only for the winners' keys.
    const winnerKeys = [...winners.values()].map((winner) => winner.spec.key).filter((key): key is string => key !== undefined);
    expect(await api.countRows()).toEqual({
      ...before,
      journal_entries: before.journal_entries + 2,
      postings: before.postings + 4,
      audit_records: before.audit_records + 4,
      api_idempotency: before.api_idempotency + winnerKeys.length,
    });
    const payoutRows = await api.owner.any(sql.type(z.object({ id: z.string(), currency: z.string(), status: z.string(), amount: z.string() }))`
      SELECT id, currency, status, amount::text AS amount FROM payouts WHERE partner_id = ${partnerId} ORDER BY currency`);
    expect(payoutRows).toEqual([
      { id: winners.get('USD')!.id, currency: 'USD', status: 'REQUESTED', amount: formatMoney(winners.get('USD')!.spec.amount, 'USD') },
      { id: winners.get('USDT')!.id, currency: 'USDT', status: 'REQUESTED', amount: formatMoney(winners.get('USDT')!.spec.amount, 'USDT') },
    ]);
    const audited = await api.owner.anyFirst(sql.type(z.object({ target_id: z.string() }))`
      SELECT target_id FROM audit_records WHERE action = 'PAYOUT_REQUEST' AND actor = ${userId} ORDER BY target_id`);
    expect(audited).toEqual([...winners.values()].map((winner) => winner.id).sort());
    const storedKeys = await api.owner.anyFirst(sql.type(z.object({ key: z.string() }))`
      SELECT key FROM api_idempotency WHERE user_id = ${userId} ORDER BY key`);
    expect(storedKeys).toEqual([...winnerKeys].sort());
    expect(await api.owner.oneFirst(sql.type(countSchema)`
      SELECT count(*)::int AS count FROM partner_payment_methods WHERE partner_id = ${partnerId}`)).toBe(2);
    for (const winner of winners.values()) expect(await kit.entryCount(`payout-reserve-${winner.id}`)).toBe(1);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);

    // Each wallet's payout is the one the API answered with, readable as such.
    for (const [currency, winner] of winners) {
      const payout: PayoutView = await kit.read(winner.id);
      expect(payout).toMatchObject({ currency, status: 'REQUESTED', partnerId });
    }
  });
});

describe('a refused request changes nothing, not even what the API process remembers', () => {
  it('when a partner’s first payout in a currency is refused for insufficient funds, their next request after a top-up is reserved', async () => {
    // A wallet that has never had a payout: its payout_reserved account does not exist yet, and the refused
    // request's transaction creates it and rolls it back.
    const { partnerId, token } = await kit.partnerWithLogin({ USD: '60.00' });
    const body = { partnerId, amount: '80.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails };
    const before = await api.countRows();
    const refused = await api.request('/v1/payouts', { token, body });
    expect(refused.status, await refused.clone().text()).toBe(422);
    expect(((await refused.json()) as Answer['body']).error).toMatchObject({ code: 'insufficient_funds', field: 'body.amount' });
    expect(await api.countRows()).toEqual(before);

    await kit.fund(partnerId, '40.00', 'USD');
    const accepted = await api.request('/v1/payouts', { token, body });
    expect(accepted.status, await accepted.clone().text()).toBe(201);
    const payout = (await accepted.json()) as PayoutView;
    api.startedWorkflowIds.add(payout.workflowId);
    expect(await kit.balances(partnerId, 'USD')).toMatchObject({ available: '20.00', payout_reserved: '80.00' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});
