-- Four eyes wherever an insider moves money or a limit (docs/rules.md#four-eyes): bonuses above the policy's
-- threshold wait for a second person, FX rates outside the band wait as requests, and a bonus remembers the
-- Idempotency-Key it was requested with so a retry finds it instead of creating a second one.

ALTER TABLE bonuses DROP CONSTRAINT bonuses_status_check;
ALTER TABLE bonuses ADD CONSTRAINT bonuses_status_check
  CHECK (status IN ('AWAITING_APPROVAL', 'PENDING', 'COMPLETED', 'FAILED', 'REJECTED', 'EXPIRED'));
ALTER TABLE bonuses
  ADD COLUMN idempotency_key text,
  ADD COLUMN amount_rub numeric,
  ADD COLUMN needs_approval boolean NOT NULL DEFAULT false,
  ADD COLUMN decided_by uuid REFERENCES users (id),
  ADD COLUMN decided_at timestamptz,
  ADD CONSTRAINT bonuses_checker_not_maker CHECK (decided_by IS NULL OR decided_by <> created_by);
-- The maker's Idempotency-Key names at most one bonus: a retry after a failed start finds this row.
CREATE UNIQUE INDEX bonuses_by_idempotency_key ON bonuses (created_by, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- A requested FX rate. Inside the band it is applied at once (a row in fx_rates, status APPLIED); outside it waits
-- here PENDING for a second person and only an approval writes it to fx_rates. fx_rates itself stays insert-only.
CREATE TABLE fx_rate_requests (
  id uuid PRIMARY KEY,
  currency text NOT NULL REFERENCES currencies (code),
  effective_at timestamptz NOT NULL,
  usd_rate numeric NOT NULL CHECK (usd_rate > 0),
  -- The rate in force at effective_at when it was requested (null: the currency's first rate).
  previous_usd_rate numeric CHECK (previous_usd_rate > 0),
  status text NOT NULL CHECK (status IN ('PENDING', 'APPLIED', 'REJECTED')),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_by text,
  decided_at timestamptz,
  decision_reason text,
  CHECK (decided_by IS NULL OR decided_by <> created_by)
);
CREATE INDEX fx_rate_requests_pending ON fx_rate_requests (currency, created_at) WHERE status = 'PENDING';

REVOKE ALL ON fx_rate_requests FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON fx_rate_requests TO ledgerflow_app;

-- A dispute CORRECTION or GOODWILL above the threshold waits here for its second person (the dispute's workflow
-- holds the same; this copy is what the API shows): who resolved it, how, and who may approve it.
ALTER TABLE disputes ADD COLUMN pending_resolution jsonb;
GRANT UPDATE (pending_resolution) ON disputes TO ledgerflow_app;
