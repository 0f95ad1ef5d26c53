-- Daily reconciliation (issue #18, docs/rules.md#daily-reconciliation): the day's report and the balance rebuild are
-- computed by the functions below in set-based SQL (one pass over the postings each, never a row at a time in the
-- application), stored per UTC day, explained by findings, signed, archived as CSV with its SHA-256, and a signed day
-- is sealed: the ledger refuses any entry or posting whose time falls in it.

-- The movement group of one posting (docs/rules.md#reconciliation-movements), from its entry's kind, its entry's
-- idempotency key (commission reversals are one kind for several causes; the key prefix names the cause) and its
-- account's bucket (a payout's fee is the part of `payout_complete` that goes to `fees_income`). Unknown kinds fall
-- into `other`, so every posting is in exactly one group and the variance still adds up.
CREATE FUNCTION reconciliation_movement_group(entry_kind text, entry_key text, account_bucket text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN entry_kind = 'commission' THEN 'commissions_created'
    WHEN entry_kind = 'commission_approval' THEN 'commissions_approved'
    WHEN entry_kind = 'commission_payment' THEN 'commissions_paid'
    WHEN entry_kind = 'commission_reversal' AND entry_key LIKE 'refund-reverse:%' THEN 'refunds'
    WHEN entry_kind = 'commission_reversal' AND entry_key LIKE 'chargeback-reverse:%' THEN 'chargebacks'
    WHEN entry_kind = 'commission_reversal' AND entry_key LIKE 'commission-clawback:%' THEN 'adjustments'
    WHEN entry_kind = 'commission_reversal' THEN 'commissions_reversed'
    WHEN entry_kind = 'commission_recredit' THEN 'chargebacks'
    WHEN entry_kind = 'payout_reserve' THEN 'payouts_requested'
    WHEN entry_kind = 'payout_complete' AND account_bucket = 'fees_income' THEN 'fees'
    WHEN entry_kind = 'payout_complete' THEN 'payouts_completed'
    WHEN entry_kind = 'payout_fail' THEN 'payouts_failed'
    WHEN entry_kind = 'payout_cancel' THEN 'payouts_cancelled'
    WHEN entry_kind = 'payout_reject' THEN 'payouts_rejected'
    WHEN entry_kind IN ('commission_adjustment', 'bulk_adjustment', 'dispute_goodwill', 'dispute_correction') THEN 'adjustments'
    WHEN entry_kind = 'bonus' THEN 'bonuses'
    WHEN entry_kind = 'leadership_pool' THEN 'pools'
    ELSE 'other'
  END
$$;

-- The report of one UTC day, per (owner type, bucket, currency):
--   opening   the sum of every posting before the day (rebuilt from the postings, independent of cached balances)
--   movement  the day's postings, per movement group
--   closing   the stored (cached) balances less every posting after the day
--   variance  opening + movements - closing; 0 on a healthy ledger, not 0 when a cached balance drifted from its postings
-- Rows whose opening, closing and movements are all zero are left out. One snapshot (a single statement, STABLE),
-- two passes over the postings (one aggregate per account, one over the day's postings).
CREATE FUNCTION reconciliation_report(report_day date)
RETURNS TABLE (section text, movement text, owner_type text, bucket text, currency text, amount numeric)
LANGUAGE sql STABLE AS $$
  WITH bounds AS (
    SELECT (report_day::timestamp AT TIME ZONE 'UTC') AS day_start, ((report_day + 1)::timestamp AT TIME ZONE 'UTC') AS day_end
  ), per_account AS (
    SELECT p.account_id,
           sum(p.amount) FILTER (WHERE p.created_at < b.day_start) AS before_day,
           sum(p.amount) FILTER (WHERE p.created_at >= b.day_end) AS after_day
    FROM postings p CROSS JOIN bounds b
    GROUP BY p.account_id
  ), cached AS (
    SELECT account_id, sum(balance) AS cached FROM account_balances GROUP BY account_id
  ), balances AS (
    SELECT a.owner_type, a.bucket, a.currency,
           sum(coalesce(pa.before_day, 0)) AS opening,
           sum(coalesce(c.cached, 0) - coalesce(pa.after_day, 0)) AS closing
    FROM accounts a
    LEFT JOIN per_account pa ON pa.account_id = a.id
    LEFT JOIN cached c ON c.account_id = a.id
    GROUP BY a.owner_type, a.bucket, a.currency
  ), movements AS (
    SELECT reconciliation_movement_group(e.kind, e.idempotency_key, a.bucket) AS movement, a.owner_type, a.bucket, a.currency,
           sum(p.amount) AS amount
    FROM postings p
    CROSS JOIN bounds b
    JOIN journal_entries e ON e.id = p.entry_id
    JOIN accounts a ON a.id = p.account_id
    WHERE p.created_at >= b.day_start AND p.created_at < b.day_end
    GROUP BY 1, 2, 3, 4
  ), moved AS (
    SELECT m.owner_type, m.bucket, m.currency, sum(m.amount) AS amount FROM movements m GROUP BY 1, 2, 3
  ), lines AS (
    SELECT coalesce(bl.owner_type, mv.owner_type) AS owner_type, coalesce(bl.bucket, mv.bucket) AS bucket,
           coalesce(bl.currency, mv.currency) AS currency,
           coalesce(bl.opening, 0) AS opening, coalesce(mv.amount, 0) AS moved, coalesce(bl.closing, 0) AS closing
    FROM balances bl FULL JOIN moved mv USING (owner_type, bucket, currency)
    WHERE coalesce(bl.opening, 0) <> 0 OR coalesce(bl.closing, 0) <> 0 OR mv.amount IS NOT NULL
  )
  SELECT 'opening', NULL, l.owner_type, l.bucket, l.currency, l.opening FROM lines l
  UNION ALL
  SELECT 'movement', m.movement, m.owner_type, m.bucket, m.currency, m.amount FROM movements m
  UNION ALL
  SELECT 'closing', NULL, l.owner_type, l.bucket, l.currency, l.closing FROM lines l
  UNION ALL
  SELECT 'variance', NULL, l.owner_type, l.bucket, l.currency, l.opening + l.moved - l.closing FROM lines l
$$;

-- The independent rebuild check (docs/rules.md#ledger-rebuild-check): the ledger's invariants over the whole database,
-- one row per offending entry, account or currency. The tests' assertLedgerInvariants calls this same function.
--   thin_entry          an entry with fewer than two postings
--   unbalanced_entry    an entry that does not sum to zero in a currency
--   malformed_posting   a posting in another currency than its account's, finer than the currency's scale, or zero
--   drifted_balance     an account whose cached balance differs from the sum of its postings
--   misshapen_balances  an account whose balance rows do not match its stripes or limits
--   outside_limits      a constrained account below its floor or above its ceiling (on postings or on the cache)
--   unbalanced_currency the whole ledger does not sum to zero in a currency (over postings or cached balances)
-- `subject` identifies the finding (stable across reruns); `detail` carries the figures, amounts as text.
CREATE FUNCTION ledger_rebuild_findings()
RETURNS TABLE (check_name text, subject text, detail jsonb)
LANGUAGE sql STABLE AS $$
  WITH posted AS (
    SELECT account_id, sum(amount) AS posted FROM postings GROUP BY account_id
  ), cached AS (
    SELECT account_id, sum(balance) AS cached FROM account_balances GROUP BY account_id
  ), account_sums AS (
    SELECT a.id, concat_ws(':', a.owner_type, a.owner_id, a.bucket, a.currency) AS account, a.min_balance, a.max_balance,
           coalesce(p.posted, 0) AS posted, coalesce(c.cached, 0) AS cached
    FROM accounts a LEFT JOIN posted p ON p.account_id = a.id LEFT JOIN cached c ON c.account_id = a.id
  )
  SELECT * FROM (
    SELECT 'thin_entry', 'entry ' || e.id, jsonb_build_object('entry_id', e.id::text, 'idempotency_key', e.idempotency_key, 'postings', count(p.entry_id))
    FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.id
    GROUP BY e.id, e.idempotency_key HAVING count(p.entry_id) < 2
    UNION ALL
    SELECT 'unbalanced_entry', 'entry ' || p.entry_id || ' ' || p.currency,
           jsonb_build_object('entry_id', p.entry_id::text, 'currency', p.currency, 'total', sum(p.amount)::text)
    FROM postings p GROUP BY p.entry_id, p.currency HAVING sum(p.amount) <> 0
    UNION ALL
    SELECT 'malformed_posting', 'posting ' || p.entry_id || '/' || p.line,
           jsonb_build_object('entry_id', p.entry_id::text, 'line', p.line, 'account_id', p.account_id::text, 'currency', p.currency,
                              'account_currency', a.currency, 'amount', p.amount::text)
    FROM postings p JOIN accounts a ON a.id = p.account_id JOIN currencies c ON c.code = a.currency
    WHERE p.currency <> a.currency OR p.amount <> round(p.amount, c.scale) OR p.amount = 0
    UNION ALL
    SELECT 'drifted_balance', 'account ' || s.id,
           jsonb_build_object('account_id', s.id::text, 'account', s.account, 'cached_balance', s.cached::text, 'sum_of_postings', s.posted::text)
    FROM account_sums s WHERE s.cached <> s.posted
    UNION ALL
    SELECT 'misshapen_balances', 'account ' || a.id,
           jsonb_build_object('account_id', a.id::text, 'account', concat_ws(':', a.owner_type, a.owner_id, a.bucket, a.currency),
                              'stripes', a.stripes, 'balance_rows', count(b.stripe))
    FROM accounts a LEFT JOIN account_balances b ON b.account_id = a.id
    GROUP BY a.id
    HAVING count(b.stripe) <> a.stripes
        OR count(*) FILTER (WHERE b.min_balance IS DISTINCT FROM a.min_balance OR b.max_balance IS DISTINCT FROM a.max_balance
                                  OR b.stripe NOT BETWEEN 0 AND a.stripes - 1) > 0
    UNION ALL
    SELECT 'outside_limits', 'account ' || s.id,
           jsonb_build_object('account_id', s.id::text, 'account', s.account, 'min_balance', s.min_balance::text, 'max_balance', s.max_balance::text,
                              'sum_of_postings', s.posted::text, 'cached_balance', s.cached::text)
    FROM account_sums s
    WHERE (s.min_balance IS NOT NULL AND (s.posted < s.min_balance OR s.cached < s.min_balance))
       OR (s.max_balance IS NOT NULL AND (s.posted > s.max_balance OR s.cached > s.max_balance))
    UNION ALL
    SELECT 'unbalanced_currency', 'postings ' || currency, jsonb_build_object('source', 'postings', 'currency', currency, 'total', sum(amount)::text)
    FROM postings GROUP BY currency HAVING sum(amount) <> 0
    UNION ALL
    SELECT 'unbalanced_currency', 'account_balances ' || a.currency,
           jsonb_build_object('source', 'account_balances', 'currency', a.currency, 'total', sum(b.balance)::text)
    FROM account_balances b JOIN accounts a ON a.id = b.account_id GROUP BY a.currency HAVING sum(b.balance) <> 0
  ) findings (check_name, subject, detail)
  ORDER BY 1, 2
$$;

-- One row per reconciled day. The report and the rebuild findings are stored once, when first computed; a rerun
-- (after a crash, or on demand again) returns the stored ones, so the day's report never changes under its reviewers.
CREATE TABLE reconciliations (
  day date PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('AWAITING_SIGN_OFF', 'SIGNED')),
  -- The user who ran it on demand (who may then not sign it: four eyes); NULL when its Schedule ran it.
  requested_by text,
  computed_at timestamptz NOT NULL DEFAULT now(),
  report jsonb NOT NULL,
  rebuild_findings jsonb NOT NULL,
  -- The references (variance lines and rebuild findings) that each need a finding before sign-off.
  open_items text[] NOT NULL,
  signed_by text,
  signed_role text,
  signed_at timestamptz,
  CHECK ((status = 'SIGNED') = (signed_at IS NOT NULL))
);

CREATE TABLE reconciliation_findings (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  day date NOT NULL REFERENCES reconciliations (day),
  item text NOT NULL,
  note text NOT NULL CHECK (length(note) BETWEEN 1 AND 2000),
  adjustment_id text,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reconciliation_findings_by_day ON reconciliation_findings (day, id);

-- The signed report as archived: immutable, and its existence seals the day.
CREATE TABLE reconciliation_archives (
  day date PRIMARY KEY REFERENCES reconciliations (day),
  file_name text NOT NULL,
  csv bytea NOT NULL,
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  signed_by text NOT NULL,
  archived_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER reconciliation_archives_immutable BEFORE UPDATE OR DELETE ON reconciliation_archives
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER reconciliation_archives_no_truncate BEFORE TRUNCATE ON reconciliation_archives
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

-- A sealed day takes no entry and no posting (docs/rules.md#sealed-days). post_entry and post_entries stamp every entry
-- with now(), so only a row whose time is before the current UTC day can fall into a sealed day (days are signed only
-- once over); the common case is one comparison, a backdated row one primary-key lookup. Applies to every writer,
-- the owner included.
CREATE FUNCTION refuse_sealed_day() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.created_at < (date_trunc('day', clock_timestamp() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
     AND EXISTS (SELECT 1 FROM reconciliation_archives WHERE day = (NEW.created_at AT TIME ZONE 'UTC')::date) THEN
    RAISE EXCEPTION 'the day % is reconciled and sealed: post corrections into an open day', (NEW.created_at AT TIME ZONE 'UTC')::date
      USING ERRCODE = 'check_violation', CONSTRAINT = 'sealed_day';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER journal_entries_not_in_sealed_day BEFORE INSERT ON journal_entries
  FOR EACH ROW EXECUTE FUNCTION refuse_sealed_day();
CREATE TRIGGER postings_not_in_sealed_day BEFORE INSERT ON postings
  FOR EACH ROW EXECUTE FUNCTION refuse_sealed_day();

GRANT SELECT, INSERT, UPDATE ON reconciliations TO ledgerflow_app;
GRANT SELECT, INSERT ON reconciliation_findings, reconciliation_archives TO ledgerflow_app;
GRANT EXECUTE ON FUNCTION reconciliation_movement_group(text, text, text), reconciliation_report(date), ledger_rebuild_findings() TO ledgerflow_app;

-- A variance is notified to finance through the outbox. The allowed kinds are extended from whatever list is in force
-- (so this migration adds one kind whatever earlier migrations added, instead of restating a list that may have grown).
DO $$
DECLARE
  definition text;
BEGIN
  SELECT pg_get_constraintdef(oid) INTO definition FROM pg_constraint
  WHERE conrelid = 'notifications'::regclass AND conname = 'notifications_kind_check';
  IF position('ARRAY[' IN definition) = 0 THEN
    RAISE EXCEPTION 'unexpected form of notifications_kind_check: %', definition;
  END IF;
  EXECUTE 'ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check';
  EXECUTE 'ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check '
    || replace(definition, 'ARRAY[', 'ARRAY[''RECONCILIATION_VARIANCE''::text, ');
END
$$;
