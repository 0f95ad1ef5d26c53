-- Issue #16, "Details changes" (docs/rules.md#details-change-controls).
--
-- Every change of a partner's saved payment details, whoever made it and by whichever path (the partner's or an
-- admin's PUT of a saved method, a payout request or a draft's submission with new details). Values are kept
-- masked (last four characters) with a SHA-256 of the whole set, never in the clear: the table is read by
-- approvals and the audit trail, which should not learn account numbers. Append-only: the application may
-- insert and read, never change or delete.
CREATE TABLE payment_details_changes (
  id uuid PRIMARY KEY,
  partner_id text NOT NULL REFERENCES partners (id),
  method_id text NOT NULL,
  -- A user id, or `system:<component>`.
  changed_by text NOT NULL,
  changed_by_role text NOT NULL,
  source text NOT NULL CHECK (source IN ('SAVED_METHOD', 'PAYOUT_REQUEST', 'DRAFT_SUBMISSION')),
  -- The partner's first details of all: setting them up is recorded, but is not a change of where money goes.
  initial boolean NOT NULL,
  changed_fields text[] NOT NULL CHECK (cardinality(changed_fields) > 0),
  details_before jsonb,
  details_after jsonb NOT NULL,
  hash_before text,
  hash_after text NOT NULL,
  ip inet,
  changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_details_changes_partner ON payment_details_changes (partner_id, method_id, changed_at);
CREATE INDEX payment_details_changes_changer ON payment_details_changes (changed_by, partner_id, changed_at);
GRANT SELECT, INSERT ON payment_details_changes TO ledgerflow_app;

-- Partners may enrol TOTP: a secret waits in `totp_pending_secret` until a code from it is confirmed, and only then
-- becomes `totp_secret` (which sign-in and step-up read), so a started but unconfirmed enrolment never locks anyone out.
ALTER TABLE users ADD COLUMN totp_pending_secret text, ADD COLUMN totp_enrolled_at timestamptz;

-- The partner's e-mail about each details change.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
  CHECK (kind IN ('PAYOUT_REJECTED', 'PAYOUT_FAILED', 'PAYOUT_COMPLETED', 'PAYOUT_CANCELLED', 'PAYOUT_NEEDS_REVIEW',
                  'APPROVAL_REQUESTED', 'PARTNER_VALIDATION_REQUESTED',
                  'REFUND_REQUESTED', 'REFUND_DECIDED', 'COMMISSIONS_REVERSED', 'DEBT_LIMIT_REACHED',
                  'CHARGEBACK_OPENED', 'CHARGEBACK_DECIDED', 'CHARGEBACK_PENALTY',
                  'DISPUTE_OPENED', 'DISPUTE_INFORMATION_REQUESTED', 'DISPUTE_ESCALATED', 'DISPUTE_RESOLVED',
                  'ADJUSTMENT_POSTED', 'ADJUSTMENT_APPROVAL_REQUESTED', 'BULK_ADJUSTMENT_FINISHED',
                  'PAYMENT_DETAILS_CHANGED'));
