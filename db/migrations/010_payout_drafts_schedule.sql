-- Payout creation paths (issue #4): admin DRAFTs (docs/rules.md#payout-statuses), payouts made by the payment schedule
-- (docs/rules.md#payment-schedule), and the queue's "Assigned To" column (docs/rules.md#payout-queue).

-- A DRAFT is admin-created and not yet a request: no reserve entry, no workflow, invisible to the partner. Submitting
-- it reserves the amount and makes it REQUESTED under the same id; discarding it makes it CANCELLED without ever
-- having had a reserve. Rows are never deleted.
ALTER TABLE payouts DROP CONSTRAINT payouts_status_check;
ALTER TABLE payouts ADD CONSTRAINT payouts_status_check
  CHECK (status IN ('DRAFT', 'REQUESTED', 'HELD', 'AWAITING_APPROVAL', 'APPROVED', 'PROCESSING', 'COMPLETED',
                    'REJECTED', 'CANCELLED', 'FAILED'));
ALTER TABLE payouts ALTER COLUMN reserve_entry_id DROP NOT NULL;

ALTER TABLE payouts
  -- The admin who drafted it (NULL: it was requested directly).
  ADD COLUMN drafted_by uuid REFERENCES users (id),
  -- When it became a request (its reserve was posted): creation, or a draft's submission. NULL: never requested.
  ADD COLUMN requested_at timestamptz,
  -- The payment date of the schedule run that made it (NULL: not made by the schedule).
  ADD COLUMN schedule_date date,
  -- The admin working it in the queue (docs/rules.md#payout-queue: "Assigned To"), if any.
  ADD COLUMN assigned_to uuid REFERENCES users (id),
  ADD COLUMN assigned_at timestamptz;

UPDATE payouts SET requested_at = created_at;
ALTER TABLE payouts ALTER COLUMN requested_at SET DEFAULT now();

-- A payout was requested exactly when its amount was reserved. Only a draft, or a draft discarded before it was
-- ever requested, has no reserve entry: every other payout has one.
ALTER TABLE payouts ADD CONSTRAINT payouts_requested_when_reserved
  CHECK ((reserve_entry_id IS NULL) = (requested_at IS NULL));
ALTER TABLE payouts ADD CONSTRAINT payouts_reserved_unless_draft
  CHECK (reserve_entry_id IS NOT NULL OR (drafted_by IS NOT NULL AND status IN ('DRAFT', 'CANCELLED')));
ALTER TABLE payouts ADD CONSTRAINT payouts_draft_not_reserved
  CHECK (status <> 'DRAFT' OR reserve_entry_id IS NULL);
ALTER TABLE payouts ADD CONSTRAINT payouts_assignment_complete
  CHECK ((assigned_to IS NULL) = (assigned_at IS NULL));

-- One active request per wallet: drafts do not count (several may wait; submitting one while another request is
-- active is the duplicate), nor do discarded drafts (CANCELLED).
DROP INDEX payouts_one_active_per_wallet;
CREATE UNIQUE INDEX payouts_one_active_per_wallet ON payouts (partner_id, currency)
  WHERE status NOT IN ('DRAFT', 'COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED');
DROP INDEX payouts_queue;
CREATE INDEX payouts_queue ON payouts (sla_due_at, id)
  WHERE status NOT IN ('DRAFT', 'COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED');
CREATE INDEX payouts_drafts ON payouts (created_at, id) WHERE status = 'DRAFT';
CREATE INDEX payouts_by_creation ON payouts (created_at, id);

-- The schedule pays each wallet at most once per payment date, however often a run is repeated or retried.
CREATE UNIQUE INDEX payouts_one_per_schedule_date ON payouts (schedule_date, partner_id, currency)
  WHERE schedule_date IS NOT NULL;

-- The schedule's payouts need an initiator (payouts.initiated_by references users). This user cannot sign in (no
-- password hash matches '!', and it is disabled), holds the role that can neither create nor approve, and so
-- never counts as an approver; the audit log names the actor `system:payout-schedule`.
INSERT INTO users (id, email, password_hash, role, totp_secret, disabled_at)
VALUES ('00000000-0000-4000-8000-000000000001', 'system+payout-schedule@ledgerflow.invalid', '!', 'financial_support',
        '!', now())
ON CONFLICT (id) DO NOTHING;
