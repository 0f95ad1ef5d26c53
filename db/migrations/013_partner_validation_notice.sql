-- A partner is told when a payout awaits their validation (docs/rules.md#partner-validation, migration 012): one more notification kind.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
  CHECK (kind IN ('PAYOUT_REJECTED', 'PAYOUT_FAILED', 'PAYOUT_COMPLETED', 'PAYOUT_CANCELLED', 'PAYOUT_NEEDS_REVIEW',
                  'APPROVAL_REQUESTED', 'PARTNER_VALIDATION_REQUESTED'));
