-- Payment files lock what they contain (docs/rules.md#payment-files, issue #17). A PAYQUICKER or METHOD_BATCH export
-- marks the payouts it lists in the export's own transaction: from then on they can no longer be cancelled or
-- rejected (the settle step refuses it under the payout's row lock), and the file is closed by marking its payouts
-- paid or failed in bulk.
ALTER TABLE payouts ADD COLUMN payment_file_id uuid REFERENCES payout_exports (id);
CREATE INDEX payouts_payment_file ON payouts (payment_file_id) WHERE payment_file_id IS NOT NULL;

-- One row per payment file (payout_exports is immutable): when its lock workflow finished moving the manual
-- payouts to PROCESSING, and what it could not move.
CREATE TABLE payment_files (
  export_id uuid PRIMARY KEY REFERENCES payout_exports (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  locked_at timestamptz,
  -- Payouts the lock did not move to PROCESSING: [{"payoutId", "code", "message"}] (automatic methods: not_manual).
  lock_skipped jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- How many close requests were made (the next close is number closes + 1).
  closes integer NOT NULL DEFAULT 0 CHECK (closes >= 0)
);

-- A bulk close: the bank's result file or a list of references, as one admin's action (one TOTP).
CREATE TABLE payment_file_closes (
  id uuid PRIMARY KEY,
  export_id uuid NOT NULL REFERENCES payment_files (export_id),
  close_no integer NOT NULL CHECK (close_no >= 1),
  source text NOT NULL CHECK (source IN ('RESULT_FILE', 'LIST')),
  -- The result file as sent (RESULT_FILE), kept as evidence.
  result_file text,
  status text NOT NULL CHECK (status IN ('RUNNING', 'DONE')),
  created_by uuid NOT NULL REFERENCES users (id),
  created_role text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  UNIQUE (export_id, close_no)
);
-- One close at a time per file.
CREATE UNIQUE INDEX payment_file_closes_one_running ON payment_file_closes (export_id) WHERE status = 'RUNNING';

CREATE TABLE payment_file_close_items (
  close_id uuid NOT NULL REFERENCES payment_file_closes (id),
  position integer NOT NULL CHECK (position >= 0),
  payout_id uuid NOT NULL REFERENCES payouts (id),
  -- The line of the result file (header = line 1), or the index in paid/failed of a list.
  line integer,
  decision text NOT NULL CHECK (decision IN ('PAID', 'FAILED')),
  failure_code text,
  reason text,
  -- Filled as the close workflow delivers: ACCEPTED (the payout took the decision), ALREADY_DECIDED (it was
  -- COMPLETED or FAILED already), REFUSED (the payout said no: result_code, result_message).
  result text CHECK (result IN ('ACCEPTED', 'ALREADY_DECIDED', 'REFUSED')),
  result_code text,
  result_message text,
  PRIMARY KEY (close_id, position),
  UNIQUE (close_id, payout_id),
  CHECK ((decision = 'FAILED') = (failure_code IS NOT NULL))
);

REVOKE ALL ON payment_files, payment_file_closes, payment_file_close_items FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON payment_files, payment_file_closes, payment_file_close_items TO ledgerflow_app;

-- The finance team is told when a close finishes with failures. The list keeps migration 030's pay-run notices.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
  CHECK (kind IN ('PAYOUT_REJECTED', 'PAYOUT_FAILED', 'PAYOUT_COMPLETED', 'PAYOUT_CANCELLED', 'PAYOUT_NEEDS_REVIEW',
                  'APPROVAL_REQUESTED', 'PARTNER_VALIDATION_REQUESTED',
                  'REFUND_REQUESTED', 'REFUND_DECIDED', 'COMMISSIONS_REVERSED', 'DEBT_LIMIT_REACHED',
                  'CHARGEBACK_OPENED', 'CHARGEBACK_DECIDED', 'CHARGEBACK_PENALTY',
                  'DISPUTE_OPENED', 'DISPUTE_INFORMATION_REQUESTED', 'DISPUTE_ESCALATED', 'DISPUTE_RESOLVED',
                  'ADJUSTMENT_POSTED', 'ADJUSTMENT_APPROVAL_REQUESTED', 'BULK_ADJUSTMENT_FINISHED',
                  'PAYMENT_DETAILS_CHANGED', 'PAY_RUN_READY', 'PAY_RUN_APPROVED', 'PAY_RUN_PAID', 'PAY_RUN_FAILURES',
                  'PAYMENT_FILE_FAILURES'));
