-- Payouts (issue #4): the requests, their approvals, and partners' saved payment details. The workflow
-- payout-<id> drives each request; these rows mirror its state for the queue and keep the audit trail.

CREATE TABLE payouts (
  id uuid PRIMARY KEY,
  partner_id text NOT NULL REFERENCES partners (id),
  method_id text NOT NULL,
  currency text NOT NULL REFERENCES currencies (code),
  amount numeric NOT NULL CHECK (amount > 0),
  fee numeric NOT NULL CHECK (fee >= 0),
  amount_to_transfer numeric NOT NULL CHECK (amount_to_transfer > 0),
  -- The RUB-equivalent at creation (the thresholds of docs/rules.md#payout-priority and docs/rules.md#payout-approval); NULL when no FX rate was known.
  amount_rub numeric,
  status text NOT NULL CHECK (status IN ('REQUESTED', 'HELD', 'AWAITING_APPROVAL', 'APPROVED', 'PROCESSING',
                                         'COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED')),
  priority text NOT NULL CHECK (priority IN ('HIGH', 'NORMAL', 'REVIEW')),
  -- A full copy of the details it is paid to (docs/rules.md#payment-history), and the hash approvers confirm they saw.
  payment_details jsonb NOT NULL,
  details_hash text NOT NULL,
  required_chain jsonb NOT NULL,
  checklist jsonb NOT NULL DEFAULT '[]',
  policy_version integer NOT NULL REFERENCES policy_versions (version),
  initiated_by uuid NOT NULL REFERENCES users (id),
  initiated_role text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  sla_due_at timestamptz NOT NULL,
  rejection_code text CHECK (rejection_code IN ('KYC_REQUIRED', 'ACCOUNT_SUSPENDED', 'INVALID_METHOD', 'LIMIT_EXCEEDED',
                                                'DUPLICATE_REQUEST', 'FRAUD_SUSPECTED')),
  rejection_reason text,
  external_reference text,
  failure_code text,
  failure_reason text,
  -- Who closed it (a user id, or system:<component>).
  closed_by text,
  closed_at timestamptz,
  reserve_entry_id bigint NOT NULL REFERENCES journal_entries (id),
  settle_entry_id bigint REFERENCES journal_entries (id),
  CHECK (fee + amount_to_transfer = amount)
);

-- One active request per wallet (partner and currency): a second is a duplicate, refused by the database itself.
CREATE UNIQUE INDEX payouts_one_active_per_wallet ON payouts (partner_id, currency)
  WHERE status NOT IN ('COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED');
CREATE INDEX payouts_queue ON payouts (sla_due_at, id) WHERE status NOT IN ('COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED');
CREATE INDEX payouts_by_partner ON payouts (partner_id, created_at);

-- Every approver is recorded with what they saw; one decision per person and payout (maker-checker, distinct).
CREATE TABLE payout_approvals (
  payout_id uuid NOT NULL REFERENCES payouts (id),
  approver_id uuid NOT NULL REFERENCES users (id),
  role text NOT NULL,
  decision text NOT NULL CHECK (decision IN ('APPROVE', 'REJECT')),
  step integer,
  amount_seen numeric,
  details_hash_seen text,
  decided_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (payout_id, approver_id)
);

-- A partner's current details per method; each payout keeps its own copy.
CREATE TABLE partner_payment_methods (
  partner_id text NOT NULL REFERENCES partners (id),
  method_id text NOT NULL,
  details jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (partner_id, method_id)
);

REVOKE ALL ON payouts, payout_approvals, partner_payment_methods FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON payouts, partner_payment_methods TO ledgerflow_app;
GRANT SELECT, INSERT ON payout_approvals TO ledgerflow_app;
