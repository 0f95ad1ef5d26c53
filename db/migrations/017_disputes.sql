-- Partner disputes (docs/rules.md#disputes and its decision tree). A partner (or an admin on
-- their behalf) disputes one of their own transactions: a commission, a reversal, a payout or a rank change. Each
-- dispute is workflow `dispute-<id>`: out of the policy's window → rejected at once; without evidence → information
-- requested (the workflow waits, closing itself at the deadline); then reviewed by financial support and resolved
-- (CORRECTION posted to the ledger, EXPLANATION, GOODWILL credit, ESCALATION to a senior admin, REJECTION).

CREATE TABLE disputes (
  id uuid PRIMARY KEY,
  partner_id text NOT NULL REFERENCES partners (id),
  type text NOT NULL CHECK (type IN ('COMMISSION', 'REVERSAL', 'PAYOUT', 'RANK')),
  -- The disputed transaction: a commission id (COMMISSION, REVERSAL), a payout id (PAYOUT) or a rank change's id
  -- (RANK), and when it happened (the window is measured from it to opened_at).
  transaction_ref text NOT NULL CHECK (length(transaction_ref) BETWEEN 1 AND 100),
  transaction_at timestamptz NOT NULL,
  transaction_amount numeric,
  transaction_currency text REFERENCES currencies (code),
  description text NOT NULL CHECK (length(btrim(description)) BETWEEN 1 AND 4000),
  -- OPEN (filed, the workflow decides its first step), INFORMATION_REQUESTED, UNDER_REVIEW, ESCALATED (a senior
  -- admin decides), EXPLAINED (answered with an explanation: the partner may still ask for escalation), CLOSED.
  status text NOT NULL CHECK (status IN ('OPEN', 'INFORMATION_REQUESTED', 'UNDER_REVIEW', 'ESCALATED', 'EXPLAINED', 'CLOSED')),
  -- The last resolution given (the timeline, dispute_events, keeps every one).
  resolution text CHECK (resolution IN ('CORRECTION', 'EXPLANATION', 'GOODWILL', 'ESCALATION', 'REJECTION')),
  resolution_note text,
  -- Why a dispute was rejected without a reviewer: OUT_OF_WINDOW or NO_INFORMATION.
  automatic_reason text CHECK (automatic_reason IN ('OUT_OF_WINDOW', 'NO_INFORMATION')),
  assignee_id uuid REFERENCES users (id),
  assigned_at timestamptz,
  opened_by uuid NOT NULL REFERENCES users (id),
  opened_role text NOT NULL,
  opened_at timestamptz NOT NULL DEFAULT now(),
  information_due_at timestamptz,
  escalated_at timestamptz,
  explained_at timestamptz,
  closed_at timestamptz,
  -- What the ledger moved for the partner (corrections and goodwill), in the correction currency.
  credited_total numeric NOT NULL DEFAULT 0,
  credited_currency text REFERENCES currencies (code),
  policy_version integer NOT NULL REFERENCES policy_versions (version),
  CHECK ((status = 'CLOSED') = (closed_at IS NOT NULL)),
  CHECK (status <> 'CLOSED' OR resolution IS NOT NULL),
  CHECK ((transaction_amount IS NULL) = (transaction_currency IS NULL))
);

CREATE INDEX disputes_queue ON disputes (opened_at DESC, id DESC);
CREATE INDEX disputes_by_partner ON disputes (partner_id, opened_at DESC, id DESC);
CREATE INDEX disputes_by_status ON disputes (status, opened_at DESC, id DESC);
CREATE INDEX disputes_by_assignee ON disputes (assignee_id, opened_at DESC) WHERE assignee_id IS NOT NULL;

-- The partner's evidence: text and/or a file (PDF, PNG, JPEG, like payout invoices, migration 012), every piece kept.
-- Rows never change; the database checks the size, the type and that the checksum is the content's.
CREATE TABLE dispute_evidence (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  dispute_id uuid NOT NULL REFERENCES disputes (id),
  text text CHECK (text IS NULL OR length(btrim(text)) BETWEEN 1 AND 4000),
  file_name text CHECK (file_name IS NULL OR (length(file_name) BETWEEN 1 AND 255 AND file_name !~ '[[:cntrl:]/\\"]')),
  content_type text CHECK (content_type IS NULL OR content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
  size_bytes integer CHECK (size_bytes IS NULL OR size_bytes BETWEEN 1 AND 5242880),
  content bytea,
  sha256 text CHECK (sha256 IS NULL OR sha256 ~ '^[0-9a-f]{64}$'),
  uploaded_by uuid NOT NULL REFERENCES users (id),
  uploaded_at timestamptz NOT NULL DEFAULT now(),
  CHECK (text IS NOT NULL OR content IS NOT NULL),
  CHECK (num_nulls(file_name, content_type, size_bytes, content, sha256) IN (0, 5)),
  CHECK (content IS NULL OR octet_length(content) = size_bytes),
  CHECK (content IS NULL OR sha256 = encode(sha256(content), 'hex'))
);
CREATE INDEX dispute_evidence_by_dispute ON dispute_evidence (dispute_id, id);

CREATE TRIGGER dispute_evidence_immutable BEFORE UPDATE OR DELETE ON dispute_evidence
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER dispute_evidence_no_truncate BEFORE TRUNCATE ON dispute_evidence
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

-- The timeline: one row per step (opened, information requested/provided, assigned, each resolution, escalation
-- requested, closed). `step_key` makes each step's recording idempotent (a retried activity records it once).
CREATE TABLE dispute_events (
  dispute_id uuid NOT NULL REFERENCES disputes (id),
  sequence integer NOT NULL CHECK (sequence >= 1),
  step_key text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('OPENED', 'INFORMATION_REQUESTED', 'EVIDENCE_PROVIDED', 'UNDER_REVIEW', 'ASSIGNED',
                                     'RESOLUTION', 'ESCALATION_REQUESTED', 'CLOSED')),
  status_after text NOT NULL,
  resolution text CHECK (resolution IN ('CORRECTION', 'EXPLANATION', 'GOODWILL', 'ESCALATION', 'REJECTION')),
  error_kind text CHECK (error_kind IN ('CALCULATION', 'SYSTEM')),
  amount numeric,
  currency text REFERENCES currencies (code),
  entry_id bigint REFERENCES journal_entries (id),
  evidence_id bigint REFERENCES dispute_evidence (id),
  note text,
  actor text NOT NULL,
  actor_role text,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dispute_id, sequence),
  UNIQUE (dispute_id, step_key)
);

CREATE TRIGGER dispute_events_immutable BEFORE UPDATE OR DELETE ON dispute_events
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

REVOKE ALL ON disputes, dispute_evidence, dispute_events FROM PUBLIC;
GRANT SELECT, INSERT ON disputes, dispute_evidence, dispute_events TO ledgerflow_app;
GRANT UPDATE (status, resolution, resolution_note, automatic_reason, assignee_id, assigned_at, information_due_at,
              escalated_at, explained_at, closed_at, credited_total, credited_currency)
  ON disputes TO ledgerflow_app;
