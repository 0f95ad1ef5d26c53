-- Issue #5's shared ground: flags a lifecycle raises on a partner (debt limit, chargebacks and their penalties,
-- open disputes), and how much of each order has been taken back (refunds, chargebacks).

-- A flag is raised once per (kind, source) and cleared once; rows are never deleted. Flags that hold payouts
-- make the payout checklist hold (NO_OPEN_DISPUTES, NO_ACCOUNT_REVIEW); the others are shown to approvers.
-- `expires_at` is informational (the raising lifecycle's timer clears it, e.g. the 30-day chargeback monitoring).
CREATE TABLE partner_flags (
  id bigserial PRIMARY KEY,
  partner_id text NOT NULL REFERENCES partners (id),
  kind text NOT NULL CHECK (kind IN ('DEBT_LIMIT', 'CHARGEBACK', 'CHARGEBACK_WARNING', 'CHARGEBACK_MONITORING',
                                     'ACCOUNT_REVIEW', 'OPEN_DISPUTE')),
  holds_payouts boolean NOT NULL,
  -- What raised it: 'refund', 'chargeback', 'dispute', 'commission', 'admin', … and that thing's id.
  source_type text NOT NULL CHECK (length(source_type) BETWEEN 1 AND 40),
  source_id text NOT NULL CHECK (length(source_id) BETWEEN 1 AND 128),
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  raised_by text NOT NULL,
  raised_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  cleared_by text,
  cleared_at timestamptz,
  clearance_reason text,
  UNIQUE (kind, source_type, source_id),
  CHECK ((cleared_by IS NULL) = (cleared_at IS NULL) AND (cleared_at IS NULL) = (clearance_reason IS NULL))
);

CREATE INDEX partner_flags_active ON partner_flags (partner_id) WHERE cleared_at IS NULL;
CREATE INDEX partner_flags_active_by_kind ON partner_flags (kind, raised_at) WHERE cleared_at IS NULL;

CREATE FUNCTION partner_flag_keep_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'DELETE of partner_flags is not allowed: clear a flag instead' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.cleared_at IS NOT NULL THEN
    RAISE EXCEPTION 'partner flag % was cleared already', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER partner_flags_keep_history BEFORE UPDATE OR DELETE ON partner_flags
  FOR EACH ROW EXECUTE FUNCTION partner_flag_keep_history();

REVOKE ALL ON partner_flags FROM PUBLIC;
GRANT SELECT, INSERT ON partner_flags TO ledgerflow_app;
GRANT UPDATE (cleared_by, cleared_at, clearance_reason) ON partner_flags TO ledgerflow_app;
GRANT USAGE ON SEQUENCE partner_flags_id_seq TO ledgerflow_app;

-- How much of an order (ORDER_COMPLETED event, in its original currency) refunds and chargebacks have claimed.
-- The CHECK makes "total refunded never exceeds the order" hold under any concurrency.
ALTER TABLE commission_events
  ADD COLUMN refunded_amount numeric NOT NULL DEFAULT 0
    CHECK (refunded_amount >= 0 AND (original_amount IS NULL OR refunded_amount <= original_amount));

-- The notices issue #5's lifecycles send (activities/notifications.ts lists them too).
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
  CHECK (kind IN ('PAYOUT_REJECTED', 'PAYOUT_FAILED', 'PAYOUT_COMPLETED', 'PAYOUT_CANCELLED', 'PAYOUT_NEEDS_REVIEW',
                  'APPROVAL_REQUESTED', 'PARTNER_VALIDATION_REQUESTED',
                  'REFUND_REQUESTED', 'REFUND_DECIDED', 'COMMISSIONS_REVERSED', 'DEBT_LIMIT_REACHED',
                  'CHARGEBACK_OPENED', 'CHARGEBACK_DECIDED', 'CHARGEBACK_PENALTY',
                  'DISPUTE_OPENED', 'DISPUTE_INFORMATION_REQUESTED', 'DISPUTE_ESCALATED', 'DISPUTE_RESOLVED',
                  'ADJUSTMENT_POSTED', 'ADJUSTMENT_APPROVAL_REQUESTED', 'BULK_ADJUSTMENT_FINISHED'));
