-- Chargebacks (docs/rules.md#chargebacks): the provider's notice
-- opens a chargeback on an order (the amount claimed on the order at once; the commissions reversed at once, the
-- seller flagged and penalised by their chargeback count), the investigation's steps, and the outcome (WON re-credits
-- what was reversed, LOST keeps it, PARTIAL re-credits the share won). Each is workflow `chargeback-<id>`.

CREATE TABLE chargebacks (
  id uuid PRIMARY KEY,
  -- The provider's id of the chargeback: a second notice with the same reference opens nothing new.
  provider_reference text NOT NULL UNIQUE CHECK (length(provider_reference) BETWEEN 1 AND 200),
  -- 'WEBHOOK' (the provider's signed notice) or 'ADMIN' (entered by an admin from the provider's notice).
  source text NOT NULL CHECK (source IN ('WEBHOOK', 'ADMIN')),
  order_id text NOT NULL,
  order_event_id bigint NOT NULL REFERENCES commission_events (id),
  -- The seller (the partner whose sale it was; null for an order without attribution) and the customer.
  partner_id text REFERENCES partners (id),
  customer_id text,
  -- The seller's Nth chargeback (counted at open, whatever the outcome): the row of the penalty matrix.
  partner_sequence integer CHECK (partner_sequence >= 1),
  amount numeric NOT NULL CHECK (amount > 0),
  currency text NOT NULL REFERENCES currencies (code),
  order_total numeric NOT NULL CHECK (order_total > 0),
  reason_code text NOT NULL CHECK (length(reason_code) BETWEEN 1 AND 100),
  note text CHECK (note IS NULL OR length(note) BETWEEN 1 AND 2000),
  -- OPEN, the investigation's steps, then the outcome.
  status text NOT NULL CHECK (status IN ('OPEN', 'EVIDENCE_GATHERED', 'SUBMITTED_TO_PROVIDER', 'AWAITING_DECISION',
                                         'WON', 'LOST', 'PARTIAL')),
  opened_by text NOT NULL,
  opened_at timestamptz NOT NULL DEFAULT now(),
  -- The reversal at open: FULL (what was left of each commission, REVERSED) or PROPORTIONAL (× amount / order_total).
  reversal text NOT NULL CHECK (reversal IN ('FULL', 'PROPORTIONAL')),
  reversed_at timestamptz,
  reversal_entry_id bigint REFERENCES journal_entries (id),
  reversed_count integer NOT NULL DEFAULT 0 CHECK (reversed_count >= 0),
  -- In the commissions' currency (USD).
  reversed_total numeric NOT NULL DEFAULT 0 CHECK (reversed_total >= 0),
  penalty text CHECK (penalty IN ('WARNING', 'MONITORING', 'ACCOUNT_REVIEW', 'SUSPENSION')),
  penalty_applied_at timestamptz,
  monitoring_ends_at timestamptz,
  monitoring_ended_at timestamptz,
  escalations integer NOT NULL DEFAULT 0 CHECK (escalations >= 0),
  last_escalated_at timestamptz,
  -- The outcome: the part of the amount won (WON: all of it, LOST: 0), who decided (an admin's id, or
  -- 'system:provider-webhook'), and the entry that re-credited the commissions.
  amount_won numeric CHECK (amount_won >= 0 AND amount_won <= amount),
  decided_by text,
  decided_at timestamptz,
  decision_note text,
  recredit_entry_id bigint REFERENCES journal_entries (id),
  recredited_total numeric NOT NULL DEFAULT 0 CHECK (recredited_total >= 0),
  policy_version integer NOT NULL REFERENCES policy_versions (version),
  CHECK (amount <= order_total),
  CHECK ((status IN ('WON', 'LOST', 'PARTIAL')) = (decided_at IS NOT NULL)),
  CHECK ((decided_at IS NULL) = (amount_won IS NULL)),
  CHECK (status <> 'WON' OR amount_won = amount),
  CHECK (status <> 'LOST' OR amount_won = 0),
  CHECK (status <> 'PARTIAL' OR (amount_won > 0 AND amount_won < amount))
);

CREATE INDEX chargebacks_queue ON chargebacks (opened_at DESC, id DESC);
CREATE INDEX chargebacks_by_status ON chargebacks (status, opened_at DESC, id DESC);
CREATE INDEX chargebacks_by_order ON chargebacks (order_id, opened_at DESC);
CREATE UNIQUE INDEX chargebacks_partner_sequence ON chargebacks (partner_id, partner_sequence);
CREATE INDEX chargebacks_by_partner ON chargebacks (partner_id, opened_at DESC, id DESC);

-- The investigation (docs/rules.md#chargebacks), one row per step an admin recorded.
CREATE TABLE chargeback_steps (
  chargeback_id uuid NOT NULL REFERENCES chargebacks (id),
  sequence integer NOT NULL CHECK (sequence >= 1),
  step text NOT NULL CHECK (step IN ('EVIDENCE_GATHERED', 'SUBMITTED_TO_PROVIDER', 'AWAITING_DECISION')),
  note text CHECK (note IS NULL OR length(note) BETWEEN 1 AND 2000),
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chargeback_id, sequence)
);

-- What the chargeback reversed at open, one row per commission (any level), with the status it had, and what the
-- outcome gave back (`recredited`, with the bucket it went to).
CREATE TABLE chargeback_reversals (
  chargeback_id uuid NOT NULL REFERENCES chargebacks (id),
  commission_id bigint NOT NULL REFERENCES commissions (id),
  partner_id text NOT NULL REFERENCES partners (id),
  level integer NOT NULL,
  status_before text NOT NULL CHECK (status_before IN ('PENDING', 'APPROVED', 'PAID')),
  amount numeric NOT NULL CHECK (amount > 0),
  currency text NOT NULL REFERENCES currencies (code),
  recredited numeric NOT NULL DEFAULT 0 CHECK (recredited >= 0 AND recredited <= amount),
  -- PENDING → commission_pending, APPROVED → commission_approved, PAID → debt repaid first, then available.
  recredit_status text CHECK (recredit_status IN ('PENDING', 'APPROVED', 'PAID', 'SUPERSEDED')),
  PRIMARY KEY (chargeback_id, commission_id)
);

CREATE INDEX chargeback_reversals_by_partner ON chargeback_reversals (partner_id);

REVOKE ALL ON chargebacks, chargeback_steps, chargeback_reversals FROM PUBLIC;
GRANT SELECT, INSERT ON chargebacks, chargeback_steps, chargeback_reversals TO ledgerflow_app;
GRANT UPDATE (status, reversed_at, reversal_entry_id, reversed_count, reversed_total, penalty, penalty_applied_at,
              monitoring_ends_at, monitoring_ended_at, escalations, last_escalated_at, amount_won, decided_by, decided_at,
              decision_note, recredit_entry_id, recredited_total)
  ON chargebacks TO ledgerflow_app;
GRANT UPDATE (recredited, recredit_status) ON chargeback_reversals TO ledgerflow_app;
