-- Pay runs (issue #17, docs/rules.md#pay-runs): a pay day's payouts reviewed, approved with one decision per
-- approver and tier, delivered to each payout-<id>, and followed until every payout is closed. The workflow
-- pay-run-<id> drives a run; these rows are what it and the API read and write.

CREATE TABLE pay_runs (
  id uuid PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('AWAITING_APPROVAL', 'DELIVERING', 'IN_PROGRESS', 'COMPLETED',
                                         'COMPLETED_WITH_FAILURES', 'REJECTED')),
  source text NOT NULL CHECK (source IN ('SCHEDULE', 'ADMIN')),
  -- The schedule's payment date (source SCHEDULE); a date has at most one scheduled first attempt.
  payment_date date,
  selection jsonb NOT NULL,
  note text,
  -- A user id, or system:<component> for the schedule.
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- A retry is a new run for the previous one's FAILED items: attempt 2, 3, … linked to the one before.
  attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  previous_run_id uuid REFERENCES pay_runs (id),
  idempotency_key text,
  policy_version integer NOT NULL REFERENCES policy_versions (version),
  -- The included total in RUB equivalent at creation (null: an item had no FX rate) and the run-level approval it needs.
  total_rub numeric,
  run_approval_required boolean NOT NULL,
  run_approval_roles jsonb NOT NULL DEFAULT '[]',
  run_approved_by text,
  run_approved_role text,
  run_approved_at timestamptz,
  rejected_by text,
  rejected_at timestamptz,
  rejection_reason text,
  finished_at timestamptz,
  CHECK (run_approved_by IS NULL OR run_approved_by <> created_by),
  CHECK ((source = 'SCHEDULE') = (payment_date IS NOT NULL))
);
-- The id of a payment date's scheduled run, reserved when the schedule starts it (before the run's row exists), so
-- the schedule repeated for the date starts the same run.
CREATE TABLE pay_run_schedule_ids (
  payment_date date PRIMARY KEY,
  run_id uuid NOT NULL UNIQUE,
  reserved_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX pay_runs_one_per_payment_date ON pay_runs (payment_date) WHERE source = 'SCHEDULE' AND attempt = 1;
CREATE UNIQUE INDEX pay_runs_by_idempotency_key ON pay_runs (created_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX pay_runs_one_retry ON pay_runs (previous_run_id) WHERE previous_run_id IS NOT NULL;
CREATE INDEX pay_runs_newest ON pay_runs (created_at DESC, id DESC);

-- Every payout the selection looked at: INCLUDED ones are the run's; EXCLUDED ones are shown with their reason.
-- `active` is true while the run holds the payout (included and not yet closed): a payout is in at most one active run.
CREATE TABLE pay_run_items (
  run_id uuid NOT NULL REFERENCES pay_runs (id),
  payout_id uuid NOT NULL REFERENCES payouts (id),
  state text NOT NULL CHECK (state IN ('INCLUDED', 'EXCLUDED', 'APPROVED', 'REFUSED')),
  reason text,
  -- An admin's words when they excluded the item (reason excluded_by_admin), or the rejection's reason (run_rejected).
  note text,
  excluded_by text,
  -- The last refusal a payout answered a delivery with (details_changed, maker_checker, …) and its message.
  refusal_code text,
  refusal_message text,
  active boolean NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, payout_id),
  CHECK ((state = 'EXCLUDED') = (reason IS NOT NULL)),
  CHECK (NOT active OR state IN ('INCLUDED', 'APPROVED'))
);
CREATE UNIQUE INDEX pay_run_items_one_active_run ON pay_run_items (payout_id) WHERE active;
CREATE INDEX pay_run_items_by_state ON pay_run_items (run_id, state, payout_id);

-- One approver's decision over their group: who, with which role, when the TOTP code was verified, the hash of the
-- lines they were shown (docs/rules.md#pay-runs), and how many items it approved and how many were refused upfront.
CREATE TABLE pay_run_decisions (
  id uuid PRIMARY KEY,
  run_id uuid NOT NULL REFERENCES pay_runs (id),
  approver_id uuid NOT NULL REFERENCES users (id),
  role text NOT NULL,
  totp_verified_at timestamptz NOT NULL,
  items_hash text NOT NULL,
  items integer NOT NULL CHECK (items >= 0),
  refused_upfront integer NOT NULL CHECK (refused_upfront >= 0),
  decided_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);
CREATE INDEX pay_run_decisions_by_run ON pay_run_decisions (run_id, decided_at);

-- What each decision approves, item by item (the step of the chain it satisfies, the amount and details hash the
-- approver saw), and the payout's answer once delivered: accepted, refused (with the code) or missing.
CREATE TABLE pay_run_decision_items (
  decision_id uuid NOT NULL REFERENCES pay_run_decisions (id),
  payout_id uuid NOT NULL REFERENCES payouts (id),
  step integer NOT NULL,
  amount_seen numeric NOT NULL,
  details_hash_seen text NOT NULL,
  outcome text CHECK (outcome IN ('accepted', 'refused', 'missing')),
  code text,
  message text,
  delivered_at timestamptz,
  PRIMARY KEY (decision_id, payout_id)
);
CREATE INDEX pay_run_decision_items_undelivered ON pay_run_decision_items (decision_id, payout_id) WHERE outcome IS NULL;
CREATE INDEX pay_run_decision_items_by_payout ON pay_run_decision_items (payout_id) WHERE outcome IS NULL;

-- What the platform declares available per payment method and currency (docs/rules.md#pay-runs, funds check): the
-- current value here, every change in platform_funds_changes (who, when, from, to).
CREATE TABLE platform_funds (
  method_id text NOT NULL,
  currency text NOT NULL REFERENCES currencies (code),
  available numeric NOT NULL CHECK (available >= 0),
  declared_by uuid NOT NULL REFERENCES users (id),
  declared_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (method_id, currency)
);
CREATE TABLE platform_funds_changes (
  id bigserial PRIMARY KEY,
  method_id text NOT NULL,
  currency text NOT NULL REFERENCES currencies (code),
  available_before numeric,
  available_after numeric NOT NULL CHECK (available_after >= 0),
  declared_by uuid NOT NULL REFERENCES users (id),
  declared_at timestamptz NOT NULL DEFAULT now()
);

REVOKE ALL ON pay_run_schedule_ids, pay_runs, pay_run_items, pay_run_decisions, pay_run_decision_items, platform_funds, platform_funds_changes FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON pay_runs, pay_run_items, pay_run_decisions, pay_run_decision_items, platform_funds TO ledgerflow_app;
GRANT SELECT, INSERT ON platform_funds_changes, pay_run_schedule_ids TO ledgerflow_app;
GRANT USAGE ON SEQUENCE platform_funds_changes_id_seq TO ledgerflow_app;

-- The finance team's notices about a run: ready for approval, approved (delivered), paid, finished with failures.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
  CHECK (kind IN ('PAYOUT_REJECTED', 'PAYOUT_FAILED', 'PAYOUT_COMPLETED', 'PAYOUT_CANCELLED', 'PAYOUT_NEEDS_REVIEW',
                  'APPROVAL_REQUESTED', 'PARTNER_VALIDATION_REQUESTED',
                  'REFUND_REQUESTED', 'REFUND_DECIDED', 'COMMISSIONS_REVERSED', 'DEBT_LIMIT_REACHED',
                  'CHARGEBACK_OPENED', 'CHARGEBACK_DECIDED', 'CHARGEBACK_PENALTY',
                  'DISPUTE_OPENED', 'DISPUTE_INFORMATION_REQUESTED', 'DISPUTE_ESCALATED', 'DISPUTE_RESOLVED',
                  'ADJUSTMENT_POSTED', 'ADJUSTMENT_APPROVAL_REQUESTED', 'BULK_ADJUSTMENT_FINISHED',
                  'PAYMENT_DETAILS_CHANGED',
                  'PAY_RUN_READY', 'PAY_RUN_APPROVED', 'PAY_RUN_PAID', 'PAY_RUN_FAILURES'));
