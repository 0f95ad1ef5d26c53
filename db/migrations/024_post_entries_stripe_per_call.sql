-- post_entries (migration 001) picks one random stripe per striped account for each call instead of one per posting.
-- A batch of hundreds of postings into a hot platform account (the commission engine's, LedgerWriter's group commits)
-- used to touch every stripe of it, so two such batches could not run side by side; now each locks one stripe and
-- concurrent batches mostly miss each other. Single postings are spread as before. Nothing else changes: the body
-- below is migration 001's with that one CTE added (a migration cannot edit an earlier one, so it restates it).

CREATE OR REPLACE FUNCTION post_entries(
  entry_keys text[],
  entry_hashes bytea[],
  entry_kinds text[],
  entry_descriptions text[],
  entry_metadata jsonb[],
  entry_reverses bigint[],
  posting_entry_index integer[],
  posting_accounts bigint[],
  posting_amounts numeric[]
) RETURNS TABLE (entry_index integer, entry_id bigint, created boolean, created_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
-- Every statement here touches a handful of rows by primary key. PL/pgSQL's cached generic plans cannot see
-- how short the arrays are and would hash-join whole tables (all accounts, all balances) on every call.
SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  inserted_indexes integer[];
  inserted_ids bigint[];
  inserted_times timestamptz[];
  delta_accounts bigint[];
  delta_stripes smallint[];
  delta_amounts numeric[];
  conflict_key text;
  problem text;
BEGIN
  IF cardinality(entry_keys) > 1 AND cardinality(entry_keys) <> (SELECT count(DISTINCT k) FROM unnest(entry_keys) AS k) THEN
    RAISE EXCEPTION 'an idempotency key appears twice in one batch' USING ERRCODE = 'check_violation';
  END IF;
  IF cardinality(posting_entry_index) <> cardinality(posting_accounts) OR cardinality(posting_accounts) <> cardinality(posting_amounts) THEN
    RAISE EXCEPTION 'posting arrays differ in length' USING ERRCODE = 'check_violation';
  END IF;

  -- post_entries checks its own entries (below), so the commit-time check may skip the rows it inserts.
  PERFORM set_config('ledgerflow.checked_by_post_entries', 'on', true);

  WITH requested AS (
    SELECT r.ordinality::integer AS entry_index, r.key, r.hash, r.kind, r.description, r.metadata, r.reverses
    FROM unnest(entry_keys, entry_hashes, entry_kinds, entry_descriptions, entry_metadata, entry_reverses)
      WITH ORDINALITY AS r (key, hash, kind, description, metadata, reverses, ordinality)
  ), inserted AS (
    INSERT INTO journal_entries AS e (idempotency_key, input_hash, kind, description, metadata, reverses_entry_id)
    SELECT q.key, q.hash, q.kind, coalesce(q.description, ''), coalesce(q.metadata, '{}'), q.reverses
    -- Key order, so concurrent batches that share keys wait on each other instead of deadlocking.
    FROM requested q ORDER BY q.key
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING e.id, e.idempotency_key, e.created_at
  ), numbered AS (
    SELECT q.entry_index, i.id, i.created_at FROM requested q JOIN inserted i ON i.idempotency_key = q.key
  ), stripe_choice AS (
    -- One random stripe per striped account for the whole call (migration 024; it was one per posting): concurrent
    -- batches then mostly lock different stripes of a hot account, where a stripe per posting had every large
    -- batch lock all of them, and a batch updates one balance row of the account instead of up to all of them.
    -- (A volatile CTE is evaluated once, so every line of the call sees the same choice.)
    SELECT a.id AS account_id, floor(random() * a.stripes)::smallint AS stripe
    FROM accounts a WHERE a.id = ANY (posting_accounts) AND a.stripes > 1
  ), lines AS (
    -- Every new entry with each of its postings (or one empty row when it has none), for the checks below.
    SELECT n.entry_index, n.id, n.created_at, p.ordinality, p.amount, a.id AS account_id, a.currency, cur.scale,
           coalesce(sc.stripe, 0::smallint) AS stripe
    FROM numbered n
    LEFT JOIN unnest(posting_entry_index, posting_accounts, posting_amounts) WITH ORDINALITY
           AS p (entry_index, account_id, amount, ordinality) ON p.entry_index = n.entry_index
    LEFT JOIN accounts a ON a.id = p.account_id
    LEFT JOIN currencies cur ON cur.code = a.currency
    LEFT JOIN stripe_choice sc ON sc.account_id = a.id
  ), posted AS (
    -- Lines the checks refuse are left out here; the whole call is then rolled back by the error below.
    INSERT INTO postings (entry_id, line, account_id, currency, amount, created_at)
    SELECT l.id, row_number() OVER (PARTITION BY l.id ORDER BY l.ordinality), l.account_id, l.currency, l.amount, l.created_at
    FROM lines l WHERE l.account_id IS NOT NULL AND l.amount <> 0
    RETURNING 1
  ), deltas AS (
    SELECT l.account_id, l.stripe, sum(l.amount) AS amount FROM lines l WHERE l.account_id IS NOT NULL GROUP BY 1, 2
  ), per_entry AS (
    -- The rules check_entry_balanced applies at commit: two or more postings to existing accounts, no zero
    -- amount, none finer than its currency's scale, and a zero sum in each currency.
    SELECT l.entry_index,
           CASE WHEN count(l.amount) < 2 THEN 'has fewer than 2 postings'
                WHEN bool_or(l.amount = 0) THEN 'has a zero or missing amount'
                WHEN bool_or(l.amount IS NOT NULL AND l.account_id IS NULL) THEN 'posts to an account that does not exist'
                WHEN bool_or(l.amount <> round(l.amount, l.scale)) THEN 'has an amount finer than its currency allows'
           END AS problem
    FROM lines l GROUP BY l.entry_index
  ), per_currency AS (
    SELECT l.entry_index, 'does not sum to zero in ' || l.currency AS problem
    FROM lines l WHERE l.currency IS NOT NULL
    GROUP BY l.entry_index, l.currency HAVING sum(l.amount) <> 0
  )
  -- A data-modifying CTE always runs to completion, so `posted` inserts every posting even unreferenced.
  SELECT (SELECT array_agg(n.entry_index ORDER BY n.entry_index) FROM numbered n),
         (SELECT array_agg(n.id ORDER BY n.entry_index) FROM numbered n),
         (SELECT array_agg(n.created_at ORDER BY n.entry_index) FROM numbered n),
         (SELECT array_agg(d.account_id ORDER BY d.account_id, d.stripe) FROM deltas d),
         (SELECT array_agg(d.stripe ORDER BY d.account_id, d.stripe) FROM deltas d),
         (SELECT array_agg(d.amount ORDER BY d.account_id, d.stripe) FROM deltas d),
         (SELECT format('entry %s of the batch %s', x.entry_index, x.problem)
          FROM (SELECT * FROM per_entry WHERE per_entry.problem IS NOT NULL UNION ALL SELECT * FROM per_currency) x
          ORDER BY x.entry_index LIMIT 1)
  INTO inserted_indexes, inserted_ids, inserted_times, delta_accounts, delta_stripes, delta_amounts, problem;
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION '%', problem USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
  END IF;

  -- The flag set above ends with this function: its SET clauses restore every setting changed inside it.

  IF delta_accounts IS NOT NULL THEN
    -- The subquery locks the rows in (account, stripe) order before the UPDATE touches any of them.
    UPDATE account_balances b SET balance = b.balance + locked.amount
    FROM (
      SELECT x.account_id, x.stripe, d.amount
      FROM account_balances x
      JOIN unnest(delta_accounts, delta_stripes, delta_amounts) AS d (account_id, stripe, amount)
        ON x.account_id = d.account_id AND x.stripe = d.stripe
      ORDER BY x.account_id, x.stripe
      FOR UPDATE OF x
    ) locked
    WHERE b.account_id = locked.account_id AND b.stripe = locked.stripe;
  END IF;

  inserted_indexes := coalesce(inserted_indexes, '{}');
  IF cardinality(inserted_indexes) = cardinality(entry_keys) THEN
    RETURN QUERY SELECT * FROM unnest(inserted_indexes, inserted_ids, array_fill(true, ARRAY[cardinality(inserted_ids)]), inserted_times);
    RETURN;
  END IF;

  -- Keys that already existed (this statement takes a new snapshot, so it sees entries a concurrent
  -- transaction committed while we waited on the unique index): same input returns the first entry,
  -- different input is an error.
  SELECT r.key INTO conflict_key
  FROM unnest(entry_keys, entry_hashes) AS r (key, hash)
  JOIN journal_entries e ON e.idempotency_key = r.key
  WHERE e.input_hash <> r.hash LIMIT 1;
  IF conflict_key IS NOT NULL THEN
    RAISE EXCEPTION 'idempotency key % was used with a different input', conflict_key
      USING ERRCODE = 'LF409', DETAIL = conflict_key;
  END IF;

  RETURN QUERY
    SELECT r.entry_index::integer, e.id, r.entry_index::integer = ANY (inserted_indexes), e.created_at
    FROM unnest(entry_keys) WITH ORDINALITY AS r (key, entry_index)
    JOIN journal_entries e ON e.idempotency_key = r.key
    ORDER BY 1;
END
$$;
