-- The double-entry ledger. The database itself enforces its invariants, so a buggy caller cannot break them:
-- entries balance per currency, history is immutable, constrained accounts stay within their limits.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ledgerflow_app') THEN
    CREATE ROLE ledgerflow_app NOLOGIN;
  END IF;
END
$$;

-- The owner that runs migrations may act as the application role (connections set `role=ledgerflow_app`).
DO $$
BEGIN
  EXECUTE format('GRANT ledgerflow_app TO %I', current_user);
EXCEPTION WHEN OTHERS THEN
  NULL;
END
$$;

CREATE TABLE currencies (
  code text PRIMARY KEY CHECK (code ~ '^[A-Z0-9]{3,5}$'),
  scale smallint NOT NULL CHECK (scale BETWEEN 0 AND 18)
);

INSERT INTO currencies (code, scale) VALUES
  ('USD', 2), ('EUR', 2), ('RUB', 2), ('GBP', 2), ('JPY', 0), ('USDT', 6), ('BTC', 8);

CREATE TABLE accounts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner_type text NOT NULL CHECK (owner_type IN ('partner', 'platform')),
  owner_id text NOT NULL,
  bucket text NOT NULL,
  currency text NOT NULL REFERENCES currencies (code),
  -- Limits on the balance; NULL means unlimited on that side. Constrained accounts use one balance row,
  -- so every posting to them serialises on it and the limit check is exact under concurrency.
  min_balance numeric,
  max_balance numeric,
  -- Unconstrained hot accounts (platform expense, clearing) spread their cached balance over several rows
  -- so concurrent transfers do not queue on one row lock.
  stripes smallint NOT NULL DEFAULT 1 CHECK (stripes BETWEEN 1 AND 64),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (owner_type, owner_id, bucket, currency),
  CHECK (stripes = 1 OR (min_balance IS NULL AND max_balance IS NULL))
);

CREATE TABLE account_balances (
  account_id bigint NOT NULL REFERENCES accounts (id),
  stripe smallint NOT NULL,
  balance numeric NOT NULL DEFAULT 0,
  min_balance numeric,
  max_balance numeric,
  PRIMARY KEY (account_id, stripe),
  CONSTRAINT account_balance_within_limits CHECK (
    (min_balance IS NULL OR balance >= min_balance) AND (max_balance IS NULL OR balance <= max_balance)
  )
);

CREATE FUNCTION create_account_balances() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  INSERT INTO account_balances (account_id, stripe, min_balance, max_balance)
  SELECT NEW.id, stripe, NEW.min_balance, NEW.max_balance FROM generate_series(0, NEW.stripes - 1) AS stripe;
  RETURN NULL;
END
$$;

CREATE TRIGGER accounts_create_balances AFTER INSERT ON accounts
  FOR EACH ROW EXECUTE FUNCTION create_account_balances();

CREATE TABLE journal_entries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  input_hash bytea NOT NULL,
  kind text NOT NULL,
  description text NOT NULL DEFAULT '',
  metadata jsonb NOT NULL DEFAULT '{}',
  reverses_entry_id bigint REFERENCES journal_entries (id),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE postings (
  entry_id bigint NOT NULL REFERENCES journal_entries (id),
  line smallint NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  currency text NOT NULL,
  amount numeric NOT NULL CHECK (amount <> 0),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (entry_id, line)
);

CREATE INDEX postings_by_account_time ON postings (account_id, created_at);

-- History is immutable for everyone, the owner included: corrections are new entries.
CREATE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% of % is not allowed: ledger history is append-only', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER journal_entries_immutable BEFORE UPDATE OR DELETE ON journal_entries
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER postings_immutable BEFORE UPDATE OR DELETE ON postings
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

-- Checked at commit, so an entry and its postings can be inserted in any order within one transaction.
-- One query per entry: per currency, the sum, the line count, and whether any posting is in another currency
-- than its account or finer than the currency's scale.
-- (No SET clauses here: measured with pgbench, plan settings on this trigger function made each check 17 times slower.)
CREATE FUNCTION check_entry_balanced() RETURNS trigger LANGUAGE plpgsql
AS $$
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
    WHERE p.entry_id = NEW.id
    GROUP BY p.currency
  LOOP
    line_count := line_count + per_currency.lines;
    IF per_currency.total <> 0 THEN
      RAISE EXCEPTION 'journal entry % does not sum to zero in %', NEW.id, per_currency.currency
        USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
    END IF;
    IF per_currency.wrong_currency THEN
      RAISE EXCEPTION 'journal entry % posts % to an account of another currency', NEW.id, per_currency.currency
        USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
    END IF;
    IF per_currency.misscaled THEN
      RAISE EXCEPTION 'journal entry % has an amount finer than the scale of %', NEW.id, per_currency.currency
        USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
    END IF;
  END LOOP;
  IF line_count < 2 THEN
    RAISE EXCEPTION 'journal entry % has % posting(s); at least 2 are required', NEW.id, line_count
      USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
  END IF;
  RETURN NULL;
END
$$;

-- post_entries checks its own entries before it writes them (cheaper, and before it locks any balance), and
-- marks the rows it inserts; every other insert (only the owner may make one) is checked at commit.
CREATE CONSTRAINT TRIGGER journal_entry_balanced AFTER INSERT ON journal_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (current_setting('ledgerflow.checked_by_post_entries', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION check_entry_balanced();

-- Posts a batch of entries in one call, and is the application's only way to write the ledger: the
-- application role may not INSERT into journal_entries or postings, nor UPDATE account_balances, so cached
-- balances move exactly with the postings. Entries whose idempotency key already exists are not posted again:
-- with the same input hash the existing entry is returned, with another hash the whole call fails.
-- Postings are given as parallel arrays; posting_entry_index says which entry (1-based) each belongs to.
-- Balance rows are locked in (account, stripe) order, so concurrent writers never deadlock; the CHECK on
-- account_balances refuses any posting that would take a constrained account past its limit.
CREATE FUNCTION post_entries(
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
  ), lines AS (
    -- Every new entry with each of its postings (or one empty row when it has none), for the checks below.
    SELECT n.entry_index, n.id, n.created_at, p.ordinality, p.amount, a.id AS account_id, a.currency, cur.scale,
           -- A random stripe per posting: backend pids modulo the stripe count collide too often.
           CASE WHEN a.stripes > 1 THEN floor(random() * a.stripes)::smallint ELSE 0::smallint END AS stripe
    FROM numbered n
    LEFT JOIN unnest(posting_entry_index, posting_accounts, posting_amounts) WITH ORDINALITY
           AS p (entry_index, account_id, amount, ordinality) ON p.entry_index = n.entry_index
    LEFT JOIN accounts a ON a.id = p.account_id
    LEFT JOIN currencies cur ON cur.code = a.currency
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

-- Locks constrained accounts (in id order, like every writer) and returns their balances, so a caller can
-- decide how to split an amount on balances no one else can change before its entry commits. The application
-- role may not UPDATE balances, which FOR UPDATE would otherwise require.
CREATE FUNCTION lock_account_balances(account_ids bigint[])
RETURNS TABLE (account_id bigint, balance numeric)
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
  SELECT b.account_id, b.balance FROM account_balances b
  WHERE b.account_id = ANY (account_ids)
  ORDER BY b.account_id, b.stripe
  FOR UPDATE
$$;

REVOKE ALL ON currencies, accounts, account_balances, journal_entries, postings FROM PUBLIC;
GRANT SELECT ON currencies, account_balances TO ledgerflow_app;
GRANT SELECT, INSERT ON accounts TO ledgerflow_app;
GRANT SELECT ON journal_entries, postings TO ledgerflow_app;
REVOKE EXECUTE ON FUNCTION post_entries, lock_account_balances FROM PUBLIC;
GRANT EXECUTE ON FUNCTION post_entries, lock_account_balances TO ledgerflow_app;
