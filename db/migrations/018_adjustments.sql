-- Adjustments (docs/rules.md#adjustments): manual commissions, clawbacks of a
-- commission, and bulk adjustments executed in chunks by workflow `bulk-adjustment-<id>`.

-- A manual commission (BONUS, ADJUSTMENT, OTHER). It becomes a row of `commissions` (income type 0, source type
-- ADJUSTMENT, origin `adjustment_id`) once posted: PENDING enters the normal hold and release path, APPROVED lands
-- in `commission_approved` and is paid by the next pay batch. Above the policy's RUB threshold a senior admin other
-- than the maker approves first (workflow `adjustment-<id>`).
CREATE TABLE adjustments (
  id uuid PRIMARY KEY,
  partner_id text NOT NULL REFERENCES partners (id),
  type text NOT NULL CHECK (type IN ('BONUS', 'ADJUSTMENT', 'OTHER')),
  amount numeric NOT NULL CHECK (amount > 0 AND scale(amount) <= 2),
  currency text NOT NULL REFERENCES currencies (code),
  -- The RUB-equivalent at creation (null: no FX rate known, which needs the senior approval).
  amount_rub numeric,
  commission_status text NOT NULL CHECK (commission_status IN ('PENDING', 'APPROVED')),
  reason text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 1000),
  period text CHECK (period IS NULL OR length(period) BETWEEN 1 AND 40),
  status text NOT NULL CHECK (status IN ('AWAITING_APPROVAL', 'POSTED', 'REJECTED', 'EXPIRED')),
  needs_senior_approval boolean NOT NULL,
  created_by uuid NOT NULL REFERENCES users (id),
  created_role text NOT NULL,
  decided_by uuid REFERENCES users (id),
  decided_at timestamptz,
  decision_reason text,
  commission_id bigint,
  entry_id bigint REFERENCES journal_entries (id),
  documentation_name text CHECK (documentation_name IS NULL OR length(documentation_name) BETWEEN 1 AND 200),
  documentation_type text,
  documentation bytea,
  documentation_sha256 bytea,
  policy_version integer NOT NULL REFERENCES policy_versions (version),
  created_at timestamptz NOT NULL DEFAULT now(),
  posted_at timestamptz,
  CHECK ((documentation IS NULL) = (documentation_name IS NULL)),
  CHECK ((status = 'POSTED') = (commission_id IS NOT NULL AND entry_id IS NOT NULL))
);

CREATE INDEX adjustments_by_partner ON adjustments (partner_id, created_at DESC);
CREATE INDEX adjustments_awaiting ON adjustments (created_at) WHERE status = 'AWAITING_APPROVAL';

-- A commission has exactly one origin: its event, its pool run, or a manual adjustment. Manual commissions carry
-- income type 0 and source type ADJUSTMENT; every existing query keeps working (they LEFT JOIN the event).
ALTER TABLE commissions ADD COLUMN adjustment_id uuid UNIQUE REFERENCES adjustments (id);
-- 004's origin CHECK ((event_id IS NULL) <> (pool_run_id IS NULL)) has a generated name; find it by its columns.
DO $$
DECLARE
  origin text;
BEGIN
  SELECT conname INTO STRICT origin FROM pg_constraint
  WHERE conrelid = 'commissions'::regclass AND contype = 'c'
    AND pg_get_constraintdef(oid) LIKE '%event_id IS NULL%' AND pg_get_constraintdef(oid) LIKE '%pool_run_id IS NULL%';
  EXECUTE format('ALTER TABLE commissions DROP CONSTRAINT %I', origin);
END $$;
ALTER TABLE commissions ADD CONSTRAINT commissions_one_origin CHECK (num_nonnulls(event_id, pool_run_id, adjustment_id) = 1);
ALTER TABLE commissions DROP CONSTRAINT commissions_income_type_check;
ALTER TABLE commissions ADD CONSTRAINT commissions_income_type_check
  CHECK (income_type BETWEEN 0 AND 7 AND (income_type = 0) = (adjustment_id IS NOT NULL));
ALTER TABLE commissions DROP CONSTRAINT commissions_source_type_check;
ALTER TABLE commissions ADD CONSTRAINT commissions_source_type_check
  CHECK (source_type IN ('PRODUCT', 'INVESTMENT', 'INVESTMENT_PROFIT', 'PORTFOLIO_YIELD', 'POOL', 'ADJUSTMENT'));
ALTER TABLE adjustments ADD FOREIGN KEY (commission_id) REFERENCES commissions (id);

-- Clawbacks of a commission (full or partial), each once per key: a retried request finds its row.
CREATE TABLE commission_clawbacks (
  id bigserial PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
  commission_id bigint NOT NULL REFERENCES commissions (id),
  amount numeric NOT NULL CHECK (amount > 0),
  currency text NOT NULL REFERENCES currencies (code),
  full_clawback boolean NOT NULL,
  status_before text NOT NULL,
  reason text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 1000),
  entry_id bigint NOT NULL REFERENCES journal_entries (id),
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX commission_clawbacks_by_commission ON commission_clawbacks (commission_id);

-- Bulk adjustments. The per-partner amounts are fixed when the adjustment is created (the preview), so what is
-- approved is what is applied; items are numbered 0..n-1 and executed in chunks of consecutive numbers.
CREATE TABLE bulk_adjustments (
  id uuid PRIMARY KEY,
  direction text NOT NULL CHECK (direction IN ('ADD', 'REMOVE')),
  amount_kind text NOT NULL CHECK (amount_kind IN ('FIXED', 'PERCENTAGE')),
  value numeric CHECK (value IS NULL OR value > 0),
  currency text NOT NULL REFERENCES currencies (code),
  reason text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 1000),
  period text CHECK (period IS NULL OR length(period) BETWEEN 1 AND 40),
  target_kind text NOT NULL CHECK (target_kind IN ('IDS', 'FILTER', 'CSV')),
  target jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('AWAITING_APPROVAL', 'EXECUTING', 'COMPLETED', 'REJECTED', 'EXPIRED')),
  partners integer NOT NULL,
  affected integer NOT NULL,
  total_impact numeric NOT NULL,
  total_impact_rub numeric,
  tier text NOT NULL CHECK (tier IN ('STANDARD', 'SENIOR', 'FINANCE_DIRECTOR')),
  approver_roles text[] NOT NULL,
  created_by uuid NOT NULL REFERENCES users (id),
  created_role text NOT NULL,
  decided_by uuid REFERENCES users (id),
  decided_at timestamptz,
  decision_reason text,
  processed integer NOT NULL DEFAULT 0,
  applied integer NOT NULL DEFAULT 0,
  skipped integer NOT NULL DEFAULT 0,
  applied_total numeric NOT NULL DEFAULT 0,
  policy_version integer NOT NULL REFERENCES policy_versions (version),
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);

CREATE TABLE bulk_adjustment_items (
  bulk_id uuid NOT NULL REFERENCES bulk_adjustments (id),
  seq integer NOT NULL CHECK (seq >= 0),
  partner_id text NOT NULL REFERENCES partners (id),
  -- What the preview showed (and the approver approved); 0 when nothing applies (status SKIPPED at creation).
  amount numeric NOT NULL CHECK (amount >= 0),
  status text NOT NULL CHECK (status IN ('PENDING', 'APPLIED', 'SKIPPED')),
  applied_amount numeric,
  skip_reason text,
  entry_id bigint REFERENCES journal_entries (id),
  processed_at timestamptz,
  PRIMARY KEY (bulk_id, seq),
  UNIQUE (bulk_id, partner_id),
  CHECK ((status = 'APPLIED') = (entry_id IS NOT NULL AND applied_amount IS NOT NULL)),
  CHECK ((status = 'SKIPPED') = (skip_reason IS NOT NULL))
);

-- The filter target (rank, joined between dates) reads partners by these.
CREATE INDEX IF NOT EXISTS partners_by_rank_joined ON partners (rank, joined_at);
CREATE INDEX IF NOT EXISTS partners_by_joined ON partners (joined_at);

REVOKE ALL ON adjustments, commission_clawbacks, bulk_adjustments, bulk_adjustment_items FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON adjustments, bulk_adjustments, bulk_adjustment_items TO ledgerflow_app;
GRANT SELECT, INSERT ON commission_clawbacks TO ledgerflow_app;
GRANT USAGE ON SEQUENCE commission_clawbacks_id_seq TO ledgerflow_app;
