/**
 * The fault run's ledger checks (bench/faults.ts): each one a plain SQL recomputation over `postings`,
 * `journal_entries` and `accounts` (never the application's own balance queries), read in one REPEATABLE READ
 * snapshot. Each check returns the offending rows; an empty list is a pass.
 *
 * Ledger-wide:
 *   entries-balanced        every entry has ≥ 2 postings and sums to zero in each currency
 *   ledger-balanced         postings and cached balances each sum to zero per currency
 *   cached-balances         each account's cached balance (its stripes in account_balances) = the sum of its postings
 *   floors                  no constrained account is below its min_balance (or above its max_balance), on either
 *   idempotency-keys        no idempotency key on two entries
 * Per lifecycle of the run (the driver's own record of what it started, joined to entries by key or metadata):
 *   commission-postings     each ingested event has exactly one `commission-event:<externalId>` entry, whose
 *                           commission_pending postings add up to the event's commissions; per partner,
 *                           commission_pending (sum of postings) = the commissions still PENDING
 *   payout-postings         each payout: exactly one reserve entry; COMPLETED exactly one complete entry with
 *                           exactly one payout_clearing posting of amount_to_transfer and no release; REJECTED /
 *                           CANCELLED / FAILED exactly one release and no complete; open ones neither; per partner,
 *                           available = funding − payouts not released, payout_reserved = open payouts
 *   payout-requests         no payout the driver did not ask for (one payout per accepted request)
 *   refund-postings         each PROCESSED refund exactly one `refund-reverse:<id>` entry, others none (every
 *                           refund in the database, and each the driver was answered for exists)
 *   chargeback-postings     each chargeback exactly one `chargeback-reverse:<id>` entry; a WON one exactly one
 *                           `chargeback-recredit:<id>`, a LOST one none (every chargeback in the database)
 */
import pg from 'pg';

export interface RunRecord {
  /** Partners who received money for payouts (opening entries), with the amount each got. */
  fundedPartners: Map<string, string>;
  /** External ids of the ORDER_COMPLETED events the run ingested (accepted by the API). */
  eventIds: string[];
  /** Every partner of the commission chains. */
  chainPartners: string[];
  payoutIds: string[];
  refundIds: string[];
  chargebackIds: string[];
  currency: string;
}

export interface CheckResult {
  name: string;
  checked: number;
  violations: Record<string, unknown>[];
}

export async function checkInvariants(ownerUrl: string, run: RunRecord): Promise<CheckResult[]> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  const results: CheckResult[] = [];
  /** `checkedSql` counts what was checked (with the first parameters, those it uses); `violationSql` lists the offenders. */
  const check = async (name: string, checkedSql: string, violationSql: string, parameters: unknown[] = []) => {
    const highest = Math.max(0, ...[...checkedSql.matchAll(/\$(\d+)/g)].map((match) => Number(match[1])));
    const checked = Number((await client.query<{ n: string }>(checkedSql, parameters.slice(0, highest))).rows[0]!.n);
    const violations = (await client.query(violationSql, parameters)).rows as Record<string, unknown>[];
    results.push({ name, checked, violations });
  };
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');

    await check(
      'entries-balanced',
      `SELECT count(*) AS n FROM journal_entries`,
      `SELECT e.id AS entry_id, e.idempotency_key, p.currency, count(p.entry_id) AS postings, coalesce(sum(p.amount), 0)::text AS total
       FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.id
       GROUP BY e.id, e.idempotency_key, p.currency
       HAVING count(p.entry_id) < 2 OR coalesce(sum(p.amount), 0) <> 0
       LIMIT 20`,
    );
    await check(
      'ledger-balanced',
      `SELECT count(DISTINCT currency) AS n FROM postings`,
      `SELECT 'postings' AS source, currency, sum(amount)::text AS total FROM postings GROUP BY currency HAVING sum(amount) <> 0
       UNION ALL
       SELECT 'account_balances', a.currency, sum(b.balance)::text FROM account_balances b JOIN accounts a ON a.id = b.account_id
       GROUP BY a.currency HAVING sum(b.balance) <> 0`,
    );
    await check(
      'cached-balances',
      `SELECT count(*) AS n FROM accounts`,
      `SELECT a.id AS account_id, concat_ws(':', a.owner_type, a.owner_id, a.bucket, a.currency) AS account,
              coalesce(b.cached, 0)::text AS cached, coalesce(p.posted, 0)::text AS posted
       FROM accounts a
       LEFT JOIN (SELECT account_id, sum(balance) AS cached FROM account_balances GROUP BY account_id) b ON b.account_id = a.id
       LEFT JOIN (SELECT account_id, sum(amount) AS posted FROM postings GROUP BY account_id) p ON p.account_id = a.id
       WHERE coalesce(b.cached, 0) <> coalesce(p.posted, 0)
       LIMIT 20`,
    );
    await check(
      'floors',
      `SELECT count(*) AS n FROM accounts WHERE min_balance IS NOT NULL OR max_balance IS NOT NULL`,
      `SELECT concat_ws(':', a.owner_type, a.owner_id, a.bucket, a.currency) AS account, a.min_balance::text AS floor,
              coalesce(p.posted, 0)::text AS posted, coalesce(b.cached, 0)::text AS cached
       FROM accounts a
       LEFT JOIN (SELECT account_id, sum(balance) AS cached FROM account_balances GROUP BY account_id) b ON b.account_id = a.id
       LEFT JOIN (SELECT account_id, sum(amount) AS posted FROM postings GROUP BY account_id) p ON p.account_id = a.id
       WHERE (a.min_balance IS NOT NULL AND (coalesce(p.posted, 0) < a.min_balance OR coalesce(b.cached, 0) < a.min_balance))
          OR (a.max_balance IS NOT NULL AND (coalesce(p.posted, 0) > a.max_balance OR coalesce(b.cached, 0) > a.max_balance))
       LIMIT 20`,
    );
    await check(
      'idempotency-keys',
      `SELECT count(*) AS n FROM journal_entries`,
      `SELECT idempotency_key, count(*) AS entries FROM journal_entries GROUP BY idempotency_key HAVING count(*) > 1 LIMIT 20`,
    );

    // Commissions: one accrual entry per event, carrying exactly the event's commissions into commission_pending.
    await check(
      'commission-postings (one accrual entry per event)',
      `SELECT cardinality($1::text[]) AS n`,
      `WITH events AS (SELECT unnest($1::text[]) AS external_id),
       accruals AS (
         SELECT ev.external_id, count(DISTINCT e.id) AS entries,
                coalesce(sum(p.amount) FILTER (WHERE a.bucket = 'commission_pending'), 0) AS pending_posted
         FROM events ev
         LEFT JOIN journal_entries e ON e.idempotency_key = 'commission-event:' || ev.external_id
         LEFT JOIN postings p ON p.entry_id = e.id
         LEFT JOIN accounts a ON a.id = p.account_id
         GROUP BY ev.external_id),
       expected AS (
         SELECT ev.external_id, coalesce(sum(c.amount), 0) AS commissions, count(c.id) AS lines
         FROM events ev
         LEFT JOIN commission_events ce ON ce.external_id = ev.external_id
         LEFT JOIN commissions c ON c.event_id = ce.id
         GROUP BY ev.external_id)
       SELECT x.external_id, x.entries, x.pending_posted::text AS pending_posted, y.commissions::text AS commissions, y.lines
       FROM accruals x JOIN expected y USING (external_id)
       WHERE x.entries <> 1 OR x.pending_posted <> y.commissions OR y.lines = 0
       LIMIT 20`,
      [run.eventIds],
    );
    await check(
      'commission-postings (pending balance = PENDING commissions, per partner)',
      `SELECT cardinality($1::text[]) AS n`,
      `WITH partners AS (SELECT unnest($1::text[]) AS partner_id),
       posted AS (
         SELECT pa.partner_id, coalesce(sum(p.amount), 0) AS pending
         FROM partners pa
         LEFT JOIN accounts a ON a.owner_type = 'partner' AND a.owner_id = pa.partner_id AND a.bucket = 'commission_pending' AND a.currency = $2
         LEFT JOIN postings p ON p.account_id = a.id
         GROUP BY pa.partner_id),
       open AS (
         SELECT pa.partner_id, coalesce(sum(c.amount - c.reversed_amount) FILTER (WHERE c.status = 'PENDING'), 0) AS pending
         FROM partners pa LEFT JOIN commissions c ON c.partner_id = pa.partner_id AND c.currency = $2
         GROUP BY pa.partner_id)
       SELECT partner_id, posted.pending::text AS posted, open.pending::text AS pending_commissions
       FROM posted JOIN open USING (partner_id) WHERE posted.pending <> open.pending
       LIMIT 20`,
      [run.chainPartners, run.currency],
    );

    // Payouts: the entries each status calls for, exactly once, found by the payout id in their metadata.
    await check(
      'payout-postings (entries per payout)',
      `SELECT cardinality($1::text[]) AS n`,
      `WITH ids AS (SELECT unnest($1::uuid[]) AS id),
       per AS (
         SELECT i.id, po.status, po.amount_to_transfer,
                count(DISTINCT e.id) FILTER (WHERE e.kind = 'payout_reserve') AS reserves,
                count(DISTINCT e.id) FILTER (WHERE e.kind = 'payout_complete') AS completes,
                count(DISTINCT e.id) FILTER (WHERE e.kind IN ('payout_reject', 'payout_cancel', 'payout_fail')) AS releases,
                count(p.entry_id) FILTER (WHERE a.owner_type = 'platform' AND a.bucket = 'payout_clearing') AS clearing_postings,
                coalesce(sum(p.amount) FILTER (WHERE a.owner_type = 'platform' AND a.bucket = 'payout_clearing'), 0) AS clearing
         FROM ids i
         LEFT JOIN payouts po ON po.id = i.id
         LEFT JOIN journal_entries e ON e.metadata->>'payoutId' = i.id::text
         LEFT JOIN postings p ON p.entry_id = e.id
         LEFT JOIN accounts a ON a.id = p.account_id
         GROUP BY i.id, po.status, po.amount_to_transfer)
       SELECT id, status, reserves, completes, releases, clearing_postings, clearing::text AS clearing, amount_to_transfer::text AS amount_to_transfer
       FROM per
       WHERE status IS NULL OR reserves <> 1
          OR (status = 'COMPLETED' AND (completes <> 1 OR releases <> 0 OR clearing_postings <> 1 OR clearing <> amount_to_transfer))
          OR (status IN ('REJECTED', 'CANCELLED', 'FAILED') AND (releases <> 1 OR completes <> 0))
          OR (status NOT IN ('COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED') AND (releases <> 0 OR completes <> 0))
       LIMIT 20`,
      [run.payoutIds],
    );
    const funded = [...run.fundedPartners.entries()];
    await check(
      'payout-postings (available and reserved per partner)',
      `SELECT cardinality($1::text[]) AS n`,
      `WITH partners AS (SELECT unnest($1::text[]) AS partner_id, unnest($2::numeric[]) AS funding),
       balances AS (
         SELECT pa.partner_id,
                coalesce(sum(p.amount) FILTER (WHERE a.bucket = 'available'), 0) AS available,
                coalesce(sum(p.amount) FILTER (WHERE a.bucket = 'payout_reserved'), 0) AS reserved
         FROM partners pa
         LEFT JOIN accounts a ON a.owner_type = 'partner' AND a.owner_id = pa.partner_id AND a.currency = $3
         LEFT JOIN postings p ON p.account_id = a.id
         GROUP BY pa.partner_id),
       expected AS (
         SELECT pa.partner_id,
                pa.funding - coalesce(sum(po.amount) FILTER (WHERE po.status NOT IN ('REJECTED', 'CANCELLED', 'FAILED')), 0) AS available,
                coalesce(sum(po.amount) FILTER (WHERE po.status NOT IN ('COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED')), 0) AS reserved
         FROM partners pa LEFT JOIN payouts po ON po.partner_id = pa.partner_id AND po.currency = $3
         GROUP BY pa.partner_id, pa.funding)
       SELECT partner_id, b.available::text AS available, x.available::text AS expected_available,
              b.reserved::text AS reserved, x.reserved::text AS expected_reserved
       FROM balances b JOIN expected x USING (partner_id)
       WHERE b.available <> x.available OR b.reserved <> x.reserved
       LIMIT 20`,
      [funded.map(([id]) => id), funded.map(([, amount]) => amount), run.currency],
    );
    await check(
      'payout-requests (no payout the run did not ask for)',
      `SELECT count(*) AS n FROM payouts WHERE partner_id = ANY($1::text[])`,
      `SELECT id, partner_id, status FROM payouts WHERE partner_id = ANY($1::text[]) AND NOT (id = ANY($2::uuid[])) LIMIT 20`,
      [funded.map(([id]) => id), run.payoutIds],
    );

    await check(
      'refund-postings (one reversal per PROCESSED refund)',
      `SELECT count(*) AS n FROM refunds`,
      `SELECT r.id::text, r.status, count(e.id) AS reversal_entries
       FROM refunds r LEFT JOIN journal_entries e ON e.idempotency_key = 'refund-reverse:' || r.id
       GROUP BY r.id, r.status
       HAVING count(e.id) <> CASE WHEN r.status = 'PROCESSED' THEN 1 ELSE 0 END
       UNION ALL
       SELECT ids.id::text, 'missing', 0 FROM unnest($1::uuid[]) AS ids (id) WHERE NOT EXISTS (SELECT 1 FROM refunds r WHERE r.id = ids.id)
       LIMIT 20`,
      [run.refundIds],
    );
    await check(
      'chargeback-postings (one reversal each, one re-credit per WON)',
      `SELECT count(*) AS n FROM chargebacks`,
      `SELECT c.id::text, c.status,
              (SELECT count(*) FROM journal_entries e WHERE e.idempotency_key = 'chargeback-reverse:' || c.id) AS reversals,
              (SELECT count(*) FROM journal_entries e WHERE e.idempotency_key = 'chargeback-recredit:' || c.id) AS recredits
       FROM chargebacks c
       WHERE ((SELECT count(*) FROM journal_entries e WHERE e.idempotency_key = 'chargeback-reverse:' || c.id) <> 1
              OR (SELECT count(*) FROM journal_entries e WHERE e.idempotency_key = 'chargeback-recredit:' || c.id)
                 <> CASE WHEN c.status = 'WON' THEN 1 ELSE 0 END)
       UNION ALL
       SELECT ids.id::text, 'missing', 0, 0 FROM unnest($1::uuid[]) AS ids (id) WHERE NOT EXISTS (SELECT 1 FROM chargebacks c WHERE c.id = ids.id)
       LIMIT 20`,
      [run.chargebackIds],
    );
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    await client.end();
  }
  return results;
}
