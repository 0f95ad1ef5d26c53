-- The partner hears when their payout is approved and when it goes to review (issue #17, docs/rules.md#partner-payout-notices).
-- The kinds are added to whatever the notifications kind check allows when this runs, not to a list written here, so
-- the kinds that migrations 030 and 031 (pay runs, payment files) add in parallel are kept whatever they are. Those
-- two were written in parallel and each restates the whole list: 031's leaves out 030's PAY_RUN_* kinds, so they are
-- added back here too (a kind no code writes is harmless).
DO $$
DECLARE
  allowed text[];
BEGIN
  SELECT array_agg(DISTINCT match[1] ORDER BY match[1]) INTO allowed
  FROM pg_constraint c, regexp_matches(pg_get_constraintdef(c.oid), '''([A-Z_]+)''', 'g') AS match
  WHERE c.conrelid = 'notifications'::regclass AND c.conname = 'notifications_kind_check';
  allowed := coalesce(allowed, '{}')
             || ARRAY['PAY_RUN_READY', 'PAY_RUN_APPROVED', 'PAY_RUN_PAID', 'PAY_RUN_FAILURES', 'PAYMENT_FILE_FAILURES']
             || ARRAY['PAYOUT_APPROVED', 'PAYOUT_IN_REVIEW'];
  ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_kind_check;
  EXECUTE format('ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (%s))',
                 (SELECT string_agg(quote_literal(kind), ', ' ORDER BY kind) FROM (SELECT DISTINCT unnest(allowed) AS kind) AS kinds));
END
$$;
