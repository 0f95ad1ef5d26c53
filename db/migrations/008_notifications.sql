-- Notifications (issue #4 item 7; docs/rules.md#notifications: "the partner is notified with the reason", "partner notified",
-- "an admin notice"): a transactional outbox. A row is written in the same transaction as the change it reports,
-- so a notice exists exactly when its change committed; the notification-delivery Schedule sends pending rows by
-- SMTP and marks each sent in the transaction that claimed it.

CREATE TABLE notifications (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The caller's business key (e.g. payout-rejected:<payout id>): an activity retried after its commit enqueues
  -- nothing the second time.
  dedupe_key text NOT NULL UNIQUE CHECK (length(dedupe_key) BETWEEN 1 AND 200),
  kind text NOT NULL CHECK (kind IN ('PAYOUT_REJECTED', 'PAYOUT_FAILED', 'PAYOUT_COMPLETED', 'PAYOUT_CANCELLED',
                                     'PAYOUT_NEEDS_REVIEW', 'APPROVAL_REQUESTED')),
  -- To a partner (their user logins), or to every active admin holding one of `recipient_roles`.
  recipient_kind text NOT NULL CHECK (recipient_kind IN ('partner', 'admin_role')),
  partner_id text REFERENCES partners (id),
  recipient_roles text[],
  -- Resolved from `users` when the row is written; empty when nobody could be addressed (status FAILED).
  recipients text[] NOT NULL,
  subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 300 AND subject !~ '[\r\n]'),
  body text NOT NULL,
  status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENT', 'FAILED')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- A failed attempt waits (growing backoff) before the next; delivery claims only rows whose time has come.
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_attempt_at timestamptz,
  sent_at timestamptz,
  CHECK ((recipient_kind = 'partner') = (partner_id IS NOT NULL)),
  CHECK ((recipient_kind = 'admin_role') = (recipient_roles IS NOT NULL AND cardinality(recipient_roles) > 0)),
  CHECK ((status = 'SENT') = (sent_at IS NOT NULL)),
  CHECK (status <> 'PENDING' OR cardinality(recipients) > 0)
);

-- What delivery claims: pending rows whose next attempt is due, oldest first.
CREATE INDEX notifications_pending ON notifications (next_attempt_at, id) WHERE status = 'PENDING';
-- A partner's own list (GET /v1/notifications), newest first.
CREATE INDEX notifications_by_partner ON notifications (partner_id, id) WHERE partner_id IS NOT NULL;

REVOKE ALL ON notifications FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON notifications TO ledgerflow_app;
