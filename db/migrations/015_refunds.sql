-- Refunds (docs/rules.md#refunds): the refund queue and the commissions each refund
-- reversed. Each refund is workflow `refund-<id>`: requested (the order amount is claimed at once, so a second
-- request for money already refunded is refused), then approved and processed (every commission of the order
-- reversed, in full or proportionally), or rejected (the claim released).

CREATE TABLE refunds (
  id uuid PRIMARY KEY,
  -- The order: its ORDER_COMPLETED event (`source_id` is the order id it was reported with).
  order_id text NOT NULL,
  order_event_id bigint NOT NULL REFERENCES commission_events (id),
  -- The seller (the partner whose sale it was; null for an order without attribution) and the customer.
  partner_id text REFERENCES partners (id),
  customer_id text,
  amount numeric NOT NULL CHECK (amount > 0),
  -- The order's original currency and total, as the request saw them.
  currency text NOT NULL REFERENCES currencies (code),
  order_total numeric NOT NULL CHECK (order_total > 0),
  -- The "Type" in docs/rules.md#refunds: FULL when the refund is the whole order, PARTIAL otherwise.
  refund_type text NOT NULL CHECK (refund_type IN ('FULL', 'PARTIAL')),
  reason text NOT NULL CHECK (reason IN ('PRODUCT_DEFECTIVE', 'WRONG_ITEM', 'NOT_AS_DESCRIBED', 'BUYER_REMORSE',
                                          'NON_DELIVERY', 'GOODWILL', 'PARTIAL_DAMAGE')),
  -- How the commissions are reversed on approval: FULL (what is left of each, the commission REVERSED) or
  -- PROPORTIONAL (original commission × amount / order_total, floored to cents).
  reversal text NOT NULL CHECK (reversal IN ('FULL', 'PROPORTIONAL')),
  note text CHECK (note IS NULL OR length(note) BETWEEN 1 AND 2000),
  status text NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'PROCESSED', 'REJECTED')),
  requested_by uuid NOT NULL REFERENCES users (id),
  requested_role text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  -- requested_at + the policy's refunds.decisionSla: a PENDING refund past it is shown as overdue.
  decision_due_at timestamptz NOT NULL,
  decided_by uuid REFERENCES users (id),
  decided_at timestamptz,
  decision_reason text,
  processed_at timestamptz,
  reversal_entry_id bigint REFERENCES journal_entries (id),
  reversed_count integer NOT NULL DEFAULT 0 CHECK (reversed_count >= 0),
  -- In the commissions' currency (USD).
  reversed_total numeric NOT NULL DEFAULT 0 CHECK (reversed_total >= 0),
  policy_version integer NOT NULL REFERENCES policy_versions (version),
  CHECK (refund_type = 'PARTIAL' OR amount = order_total),
  CHECK (amount <= order_total),
  CHECK ((status = 'PENDING') = (decided_at IS NULL)),
  CHECK ((status = 'PROCESSED') = (processed_at IS NOT NULL))
);

CREATE INDEX refunds_queue ON refunds (requested_at DESC, id DESC);
CREATE INDEX refunds_by_status ON refunds (status, requested_at DESC, id DESC);
CREATE INDEX refunds_by_order ON refunds (order_id, requested_at DESC);
CREATE INDEX refunds_by_partner ON refunds (partner_id, requested_at DESC, id DESC);

-- What a processed refund reversed, one row per commission (any level), with the status it had.
CREATE TABLE refund_reversals (
  refund_id uuid NOT NULL REFERENCES refunds (id),
  commission_id bigint NOT NULL REFERENCES commissions (id),
  partner_id text NOT NULL REFERENCES partners (id),
  level integer NOT NULL,
  status_before text NOT NULL CHECK (status_before IN ('PENDING', 'APPROVED', 'PAID')),
  amount numeric NOT NULL CHECK (amount > 0),
  currency text NOT NULL REFERENCES currencies (code),
  PRIMARY KEY (refund_id, commission_id)
);

CREATE INDEX refund_reversals_by_partner ON refund_reversals (partner_id);

REVOKE ALL ON refunds, refund_reversals FROM PUBLIC;
GRANT SELECT, INSERT ON refunds, refund_reversals TO ledgerflow_app;
GRANT UPDATE (status, decided_by, decided_at, decision_reason, processed_at, reversal_entry_id, reversed_count, reversed_total)
  ON refunds TO ledgerflow_app;
