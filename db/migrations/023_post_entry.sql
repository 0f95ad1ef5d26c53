-- One entry, one call: the ledger's write path for the common case, with the rules of post_entries (migration 001)
-- and none of its set machinery. post_entries plans one large statement for any batch; for a single entry its
-- executor start-up and its sorted aggregates cost more than the writes themselves. Measured with pgbench on the
-- 2-core machine (4 clients, 50 accounts, durable commits, prepared statements), one entry per transaction:
-- post_entries ~3,300 transfers/s, this function ~4,500/s (docs/decisions.md, "The single-entry write path").
--
-- The same guarantees, by the same means: the same checks before anything is written (two or more postings, none
-- zero, every account existing, no amount finer than its currency, a zero sum per currency), the same idempotency
-- (same key and input hash: the first entry, created = false; another hash: LF409), balance rows moved by the net
-- of their lines in (account, stripe) order, the CHECK on account_balances refusing any limit broken, and the
-- same flag telling the commit-time trigger the entry was checked. The application role may call it, and still
-- may not write the tables.
CREATE FUNCTION post_entry(
  entry_key text,
  entry_hash bytea,
  entry_kind text,
  entry_description text,
  entry_metadata jsonb,
  entry_reverses bigint,
  posting_accounts bigint[],
  posting_amounts numeric[]
) RETURNS TABLE (entry_id bigint, created boolean, created_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
AS $$
DECLARE
  line_count integer := coalesce(cardinality(posting_accounts), 0);
  line_currencies text[];
  line_stripes smallint[];
  line_scales smallint[];
  one_currency text;
  one_stripes smallint;
  one_scale smallint;
  first_currency text;
  mixed_currencies boolean := false;
  total numeric := 0;
  problem text;
  new_id bigint;
  new_time timestamptz;
  existing_hash bytea;
  delta record;
BEGIN
  IF line_count <> coalesce(cardinality(posting_amounts), 0) THEN
    RAISE EXCEPTION 'posting arrays differ in length' USING ERRCODE = 'check_violation';
  END IF;

  -- Each line's account by primary key, one short statement per line: for two or three lines this is several
  -- times cheaper than one joined, aggregated query (whose sorts and start-up dominate at this size).
  line_currencies := array_fill(NULL::text, ARRAY[line_count]);
  line_stripes := array_fill(NULL::smallint, ARRAY[line_count]);
  line_scales := array_fill(NULL::smallint, ARRAY[line_count]);
  FOR line IN 1 .. line_count LOOP
    one_currency := NULL;
    SELECT a.currency, a.stripes, c.scale INTO one_currency, one_stripes, one_scale
    FROM accounts a JOIN currencies c ON c.code = a.currency
    WHERE a.id = posting_accounts[line];
    line_currencies[line] := one_currency;
    line_stripes[line] := one_stripes;
    line_scales[line] := one_scale;
  END LOOP;

  IF line_count < 2 THEN
    problem := 'has fewer than 2 postings';
  ELSE
    first_currency := line_currencies[1];
    FOR line IN 1 .. line_count LOOP
      IF posting_amounts[line] IS NULL OR posting_amounts[line] = 0 THEN
        problem := 'has a zero or missing amount';
      ELSIF line_currencies[line] IS NULL THEN
        problem := 'posts to an account that does not exist';
      ELSIF posting_amounts[line] <> round(posting_amounts[line], line_scales[line]) THEN
        problem := 'has an amount finer than its currency allows';
      END IF;
      EXIT WHEN problem IS NOT NULL;
      mixed_currencies := mixed_currencies OR line_currencies[line] <> first_currency;
      total := total + posting_amounts[line];
    END LOOP;
    IF problem IS NULL AND NOT mixed_currencies AND total <> 0 THEN
      problem := 'does not sum to zero in ' || first_currency;
    ELSIF problem IS NULL AND mixed_currencies THEN
      SELECT 'does not sum to zero in ' || x.currency INTO problem
      FROM unnest(line_currencies, posting_amounts) AS x (currency, amount)
      GROUP BY x.currency HAVING sum(x.amount) <> 0
      ORDER BY x.currency LIMIT 1;
    END IF;
  END IF;
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'the entry %', problem USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
  END IF;

  -- Checked above, so the commit-time check may skip this entry and its postings (the flag ends with the
  -- transaction; only this function and post_entries set it, and only they may insert for the application role).
  PERFORM set_config('ledgerflow.checked_by_post_entries', 'on', true);

  INSERT INTO journal_entries AS e (idempotency_key, input_hash, kind, description, metadata, reverses_entry_id)
  VALUES (entry_key, entry_hash, entry_kind, coalesce(entry_description, ''), coalesce(entry_metadata, '{}'), entry_reverses)
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING e.id, e.created_at INTO new_id, new_time;

  IF new_id IS NULL THEN
    -- The key exists (this statement takes a new snapshot, so it sees an entry a concurrent transaction committed
    -- while the INSERT waited on the unique index): the same input returns it, other input is an error.
    SELECT e.id, e.created_at, e.input_hash INTO new_id, new_time, existing_hash
    FROM journal_entries e WHERE e.idempotency_key = entry_key;
    IF existing_hash IS DISTINCT FROM entry_hash THEN
      RAISE EXCEPTION 'idempotency key % was used with a different input', entry_key
        USING ERRCODE = 'LF409', DETAIL = entry_key;
    END IF;
    entry_id := new_id;
    created := false;
    created_at := new_time;
    RETURN NEXT;
    RETURN;
  END IF;

  INSERT INTO postings (entry_id, line, account_id, currency, amount, created_at)
  SELECT new_id, p.line, p.account_id, line_currencies[p.line], p.amount, new_time
  FROM unnest(posting_accounts, posting_amounts) WITH ORDINALITY AS p (account_id, amount, line);

  -- One UPDATE per (account, stripe), in that order, each taking its row lock as it goes: writers meet in one
  -- order (post_entries and lock_account_balances use it too) and never deadlock. A balance moves by the net of
  -- its lines, so the limit CHECK judges the entry's result, not the order of its lines. A hot unconstrained
  -- account takes each posting on a random one of its stripes.
  IF line_count = 2 AND line_stripes[1] = 1 AND line_stripes[2] = 1 AND posting_accounts[1] <> posting_accounts[2] THEN
    -- The common transfer, two single-row accounts: the lower id first, without the query below (~7 % cheaper).
    IF posting_accounts[1] < posting_accounts[2] THEN
      UPDATE account_balances b SET balance = b.balance + posting_amounts[1] WHERE b.account_id = posting_accounts[1] AND b.stripe = 0;
      UPDATE account_balances b SET balance = b.balance + posting_amounts[2] WHERE b.account_id = posting_accounts[2] AND b.stripe = 0;
    ELSE
      UPDATE account_balances b SET balance = b.balance + posting_amounts[2] WHERE b.account_id = posting_accounts[2] AND b.stripe = 0;
      UPDATE account_balances b SET balance = b.balance + posting_amounts[1] WHERE b.account_id = posting_accounts[1] AND b.stripe = 0;
    END IF;
  ELSE
    FOR delta IN
      SELECT x.account_id, x.stripe, sum(x.amount) AS amount
      FROM (
        SELECT p.account_id, p.amount,
               CASE WHEN line_stripes[p.line] > 1 THEN floor(random() * line_stripes[p.line])::smallint ELSE 0::smallint END AS stripe
        FROM unnest(posting_accounts, posting_amounts) WITH ORDINALITY AS p (account_id, amount, line)
      ) x
      GROUP BY x.account_id, x.stripe
      ORDER BY x.account_id, x.stripe
    LOOP
      CONTINUE WHEN delta.amount = 0;
      UPDATE account_balances b SET balance = b.balance + delta.amount
      WHERE b.account_id = delta.account_id AND b.stripe = delta.stripe;
    END LOOP;
  END IF;

  entry_id := new_id;
  created := true;
  created_at := new_time;
  RETURN NEXT;
END
$$;

REVOKE EXECUTE ON FUNCTION post_entry FROM PUBLIC;
GRANT EXECUTE ON FUNCTION post_entry TO ledgerflow_app;
