-- The commission engine: the network's upline at unlimited depth, rank/status history, the versioned policy,
-- FX rates, trigger events, commissions with their holds, pay batches and leadership pool runs.

-- The network. Each partner carries a small surrogate number and its upline as an array of those numbers,
-- nearest ancestor first: the upline at any depth is one row read plus one index probe per ancestor, with no
-- recursion. A BEFORE INSERT trigger fills both from the sponsor; moving a partner is refused (decisions.md).
ALTER TABLE partners
  ADD COLUMN num integer GENERATED ALWAYS AS IDENTITY,
  ADD COLUMN sponsor_num integer,
  ADD COLUMN depth integer NOT NULL DEFAULT 0,
  ADD COLUMN upline integer[] NOT NULL DEFAULT '{}',
  ADD COLUMN rank_since timestamptz,
  ADD COLUMN status_since timestamptz;

ALTER TABLE partners ADD CONSTRAINT partners_num_unique UNIQUE (num);

WITH RECURSIVE tree AS (
  SELECT id, num, 0 AS depth, '{}'::integer[] AS upline FROM partners WHERE sponsor_id IS NULL
  UNION ALL
  SELECT p.id, p.num, tree.depth + 1, tree.num || tree.upline FROM partners p JOIN tree ON p.sponsor_id = tree.id
)
UPDATE partners p SET depth = tree.depth, upline = tree.upline, sponsor_num = tree.upline[1], rank_since = p.joined_at, status_since = p.joined_at
FROM tree WHERE p.id = tree.id;

ALTER TABLE partners ALTER COLUMN rank_since SET NOT NULL, ALTER COLUMN status_since SET NOT NULL;

CREATE FUNCTION partner_place_in_network() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sponsor record;
BEGIN
  IF NEW.sponsor_id IS NULL THEN
    NEW.depth := 0;
    NEW.sponsor_num := NULL;
    NEW.upline := '{}';
  ELSE
    -- Rows inserted earlier by the same statement are visible here, so a sponsor-first batch places itself.
    SELECT num, depth, upline INTO sponsor FROM partners WHERE id = NEW.sponsor_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'sponsor % does not exist', NEW.sponsor_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    NEW.depth := sponsor.depth + 1;
    NEW.sponsor_num := sponsor.num;
    NEW.upline := sponsor.num || sponsor.upline;
  END IF;
  NEW.rank_since := coalesce(NEW.rank_since, NEW.joined_at);
  NEW.status_since := coalesce(NEW.status_since, NEW.joined_at);
  RETURN NEW;
END $$;

CREATE TRIGGER partner_place_in_network BEFORE INSERT ON partners
  FOR EACH ROW EXECUTE FUNCTION partner_place_in_network();

CREATE FUNCTION partner_keep_network_position() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.sponsor_id IS DISTINCT FROM OLD.sponsor_id OR NEW.num <> OLD.num OR NEW.depth <> OLD.depth
     OR NEW.sponsor_num IS DISTINCT FROM OLD.sponsor_num OR NEW.upline <> OLD.upline THEN
    RAISE EXCEPTION 'a partner''s place in the network (sponsor, upline) cannot change'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER partner_keep_network_position BEFORE UPDATE ON partners
  FOR EACH ROW EXECUTE FUNCTION partner_keep_network_position();

-- Rank, status and KYC changes with their effective time. The value at time T is the old_value of the first
-- change after T, or the partner's current value when there is none; changes are appended in effective order.
CREATE TABLE partner_changes (
  id bigserial PRIMARY KEY,
  partner_id text NOT NULL REFERENCES partners (id),
  field text NOT NULL CHECK (field IN ('rank', 'status', 'kyc_status')),
  old_value text NOT NULL,
  new_value text NOT NULL,
  effective_at timestamptz NOT NULL,
  reason text,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX partner_changes_lookup ON partner_changes (partner_id, field, effective_at);

-- The versioned policy (docs/rules.md#policy). A version applies to events completed from its effective time on.
CREATE TABLE policy_versions (
  version integer PRIMARY KEY,
  effective_from timestamptz NOT NULL UNIQUE,
  document jsonb NOT NULL,
  reason text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Platform exchange rates: how many USD one unit of the currency buys, from effective_at on.
CREATE TABLE fx_rates (
  currency text NOT NULL REFERENCES currencies (code),
  effective_at timestamptz NOT NULL,
  usd_rate numeric NOT NULL CHECK (usd_rate > 0),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (currency, effective_at)
);

-- Trigger events, each processed once: the external id is unique, and its input hash tells a resend from a
-- conflicting reuse. An order completes once and is cancelled at most once.
CREATE TABLE commission_events (
  id bigserial PRIMARY KEY,
  external_id text NOT NULL UNIQUE CHECK (length(external_id) BETWEEN 1 AND 128),
  kind text NOT NULL CHECK (kind IN ('ORDER_COMPLETED', 'INVESTMENT_CONFIRMED', 'INVESTMENT_PROFIT',
                                     'PORTFOLIO_YIELD', 'ORDER_CANCELLED')),
  source_type text CHECK (source_type IN ('PRODUCT', 'INVESTMENT', 'INVESTMENT_PROFIT', 'PORTFOLIO_YIELD')),
  source_id text NOT NULL,
  partner_id text REFERENCES partners (id),
  customer_id text,
  repeat_purchase boolean NOT NULL DEFAULT false,
  completed_at timestamptz NOT NULL,
  original_amount numeric,
  original_currency text REFERENCES currencies (code),
  fx_rate numeric,
  base_usd numeric,
  yield_rate numeric,
  policy_version integer REFERENCES policy_versions (version),
  input_hash bytea NOT NULL,
  commission_count integer NOT NULL DEFAULT 0,
  commission_total numeric NOT NULL DEFAULT 0,
  entry_id bigint REFERENCES journal_entries (id),
  cancelled_by bigint REFERENCES commission_events (id),
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX commission_events_one_completion ON commission_events (kind, source_id)
  WHERE kind IN ('ORDER_COMPLETED', 'ORDER_CANCELLED');
CREATE INDEX commission_events_by_completion ON commission_events (completed_at)
  WHERE kind IN ('ORDER_COMPLETED', 'INVESTMENT_CONFIRMED');

-- Commissions. Status PENDING → APPROVED → PAID, or REVERSED. A hold ends at release_at; the release sweep
-- finds due commissions through a partial index, so millions in their hold cost nothing until they are due.
CREATE TABLE commissions (
  id bigserial PRIMARY KEY,
  event_id bigint REFERENCES commission_events (id),
  pool_run_id bigint,
  partner_id text NOT NULL REFERENCES partners (id),
  income_type smallint NOT NULL CHECK (income_type BETWEEN 1 AND 7),
  level integer NOT NULL CHECK (level >= 1),
  source_type text NOT NULL CHECK (source_type IN ('PRODUCT', 'INVESTMENT', 'INVESTMENT_PROFIT',
                                                   'PORTFOLIO_YIELD', 'POOL')),
  base numeric NOT NULL CHECK (base >= 0),
  rate numeric NOT NULL CHECK (rate >= 0),
  amount numeric NOT NULL CHECK (amount > 0 AND scale(amount) <= 2),
  currency text NOT NULL REFERENCES currencies (code),
  status text NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'PAID', 'REVERSED')),
  release_at timestamptz NOT NULL,
  breakdown jsonb NOT NULL,
  policy_version integer NOT NULL REFERENCES policy_versions (version),
  -- The entry that credited it is its event's (commission_events.entry_id) or its pool run's (pool_runs.entry_id):
  -- one entry per event, so commissions are written before the entry and the hot balances are locked last.
  approved_at timestamptz,
  approve_entry_id bigint REFERENCES journal_entries (id),
  paid_at timestamptz,
  pay_batch_id bigint,
  pay_entry_id bigint REFERENCES journal_entries (id),
  -- Partial reversals (refunds) take part of a commission back and leave its status; a full one sets REVERSED.
  reversed_amount numeric NOT NULL DEFAULT 0 CHECK (reversed_amount >= 0 AND reversed_amount <= amount),
  reversed_at timestamptz,
  reverse_entry_id bigint REFERENCES journal_entries (id),
  reversal_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((event_id IS NULL) <> (pool_run_id IS NULL))
);

CREATE INDEX commissions_due ON commissions (release_at) WHERE status = 'PENDING';
CREATE INDEX commissions_approved ON commissions (partner_id) WHERE status = 'APPROVED';
CREATE INDEX commissions_by_event ON commissions (event_id);
-- Lists page by id (newest first); a partner's list by (partner_id, id).
CREATE INDEX commissions_by_partner ON commissions (partner_id, id);

CREATE TABLE pay_batches (
  id bigserial PRIMARY KEY,
  -- The run that started it (the workflow id): a retried activity continues its batch instead of opening another.
  key text NOT NULL UNIQUE,
  as_of timestamptz NOT NULL,
  started_by text NOT NULL,
  partners integer NOT NULL DEFAULT 0,
  commissions integer NOT NULL DEFAULT 0,
  total numeric NOT NULL DEFAULT 0,
  debt_repaid numeric NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);

-- One run per pool and period, whatever retries or duplicate schedule firings happen.
CREATE TABLE pool_runs (
  id bigserial PRIMARY KEY,
  pool text NOT NULL,
  period_start timestamptz NOT NULL,
  period_end timestamptz NOT NULL,
  turnover numeric NOT NULL,
  pool_amount numeric NOT NULL,
  qualified integer NOT NULL,
  share numeric NOT NULL,
  remainder numeric NOT NULL,
  policy_version integer NOT NULL REFERENCES policy_versions (version),
  entry_id bigint REFERENCES journal_entries (id),
  details jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (pool, period_start)
);

ALTER TABLE commissions ADD FOREIGN KEY (pool_run_id) REFERENCES pool_runs (id);
ALTER TABLE commissions ADD FOREIGN KEY (pay_batch_id) REFERENCES pay_batches (id);

REVOKE ALL ON partner_changes, policy_versions, fx_rates, commission_events, commissions, pay_batches, pool_runs
  FROM PUBLIC;
GRANT SELECT, INSERT ON partner_changes, policy_versions, fx_rates TO ledgerflow_app;
GRANT SELECT, INSERT, UPDATE ON commission_events, commissions, pay_batches, pool_runs TO ledgerflow_app;
GRANT USAGE ON SEQUENCE partner_changes_id_seq, commission_events_id_seq, commissions_id_seq, pay_batches_id_seq,
  pool_runs_id_seq TO ledgerflow_app;
