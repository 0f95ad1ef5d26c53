-- Closes a gap of migration 001 for the one writer besides post_entries, the owner: the commit-time check ran for a
-- new entry only, so a posting the owner appended later to a committed entry unbalanced it unnoticed. Now every
-- posting the owner inserts re-checks its entry at commit. And accounts, which postings name, can neither be
-- deleted nor change what they are.
--
-- (Tried and not done: dropping the foreign keys of `postings`, which post_entries makes redundant, made no
-- difference to `npm run bench:ledger` beyond this machine's run-to-run noise; they stay.)

-- Accounts and their balance rows are as permanent as the postings that name them.
CREATE TRIGGER accounts_permanent BEFORE DELETE ON accounts
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER accounts_identity_fixed BEFORE UPDATE OF id, owner_type, owner_id, bucket, currency ON accounts
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER account_balances_permanent BEFORE DELETE ON account_balances
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER account_balances_no_truncate BEFORE TRUNCATE ON account_balances
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

-- The commit-time balance check of migration 001, callable for any entry: the owner's new entries (as before) and
-- now also an entry the owner appends a posting to after it was committed.
CREATE FUNCTION assert_entry_balanced(checked_entry bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  line_count integer := 0;
  per_currency record;
BEGIN
  FOR per_currency IN
    SELECT p.currency, sum(p.amount) AS total, count(*)::integer AS lines,
           bool_or(p.currency <> a.currency) AS wrong_currency,
           bool_or(c.code IS NULL OR p.amount <> round(p.amount, c.scale)) AS misscaled
    FROM postings p
    JOIN accounts a ON a.id = p.account_id
    LEFT JOIN currencies c ON c.code = p.currency
    WHERE p.entry_id = checked_entry
    GROUP BY p.currency
  LOOP
    line_count := line_count + per_currency.lines;
    IF per_currency.total <> 0 THEN
      RAISE EXCEPTION 'journal entry % does not sum to zero in %', checked_entry, per_currency.currency
        USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
    END IF;
    IF per_currency.wrong_currency THEN
      RAISE EXCEPTION 'journal entry % posts % to an account of another currency', checked_entry, per_currency.currency
        USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
    END IF;
    IF per_currency.misscaled THEN
      RAISE EXCEPTION 'journal entry % has an amount finer than the scale of %', checked_entry, per_currency.currency
        USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
    END IF;
  END LOOP;
  IF line_count < 2 THEN
    RAISE EXCEPTION 'journal entry % has % posting(s); at least 2 are required', checked_entry, line_count
      USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM assert_entry_balanced(NEW.id);
  RETURN NULL;
END
$$;

-- A posting the owner inserts by hand must leave its entry balanced; checked at commit like a new entry, so an entry
-- and its postings may be inserted in any order. (The foreign keys already refuse a missing entry or account.)
CREATE FUNCTION check_posting_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM assert_entry_balanced(NEW.entry_id);
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER posting_entry_balanced AFTER INSERT ON postings
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (current_setting('ledgerflow.checked_by_post_entries', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION check_posting_entry_balanced();
