-- The audit schedule (issue #18, docs/rules.md#audit-schedule): every audit kind runs once per period as
-- `audit-<kind>-<period>`, stores what it examined and one finding per problem, and is signed off by a finance manager
-- or director with a fresh TOTP code once no finding is open. A signed run is immutable; the annual export's archive
-- is stored with its SHA-256.

CREATE TABLE audit_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('transaction-sample', 'balances', 'commission-recalc', 'large-payouts', 'access-review', 'full-export')),
  -- 2026-W49 (weekly), 2026-12 (monthly), 2026-Q4 (quarterly), 2026 (annual).
  period text NOT NULL CHECK (period ~ '^\d{4}(-W\d{2}|-\d{2}|-Q[1-4])?$'),
  period_start timestamptz NOT NULL,
  period_end timestamptz NOT NULL CHECK (period_end > period_start),
  -- The recorded seed of a sampling kind (64 hex digits): re-running the sample from it yields the same set.
  seed text CHECK (seed IS NULL OR seed ~ '^[0-9a-f]{64}$'),
  status text NOT NULL CHECK (status IN ('AWAITING_SIGN_OFF', 'SIGNED')),
  -- Who started it on demand; NULL when its Schedule did.
  requested_by text,
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now(),
  -- What the run examined (the sampled ids, the reviewed admins, the export's manifest): the evidence behind "nothing found".
  report jsonb NOT NULL,
  -- SHA-256 of the canonical report and findings as computed (and of the archive for the export), fixed when stored.
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  signed_by text,
  signed_role text,
  signed_at timestamptz,
  UNIQUE (kind, period),
  CHECK ((status = 'SIGNED') = (signed_at IS NOT NULL AND signed_by IS NOT NULL))
);

CREATE TABLE audit_findings (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id bigint NOT NULL REFERENCES audit_runs (id),
  -- What the finding is about (`payout <uuid>`, `account <id>`, `commission <id>`, `user <uuid>`, `entry <id>`): unique per run.
  subject text NOT NULL,
  check_name text NOT NULL,
  detail jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('OPEN', 'RESOLVED', 'ACCEPTED')),
  note text CHECK (note IS NULL OR length(note) BETWEEN 1 AND 2000),
  resolved_by text,
  resolved_at timestamptz,
  UNIQUE (run_id, check_name, subject),
  CHECK ((status = 'OPEN') = (resolved_by IS NULL)),
  CHECK (status = 'OPEN' OR (note IS NOT NULL AND resolved_at IS NOT NULL))
);
CREATE INDEX audit_findings_by_run ON audit_findings (run_id, id);

-- The annual export's archive (a tar of CSV files and a manifest of their SHA-256s), immutable once stored.
CREATE TABLE audit_exports (
  run_id bigint PRIMARY KEY REFERENCES audit_runs (id),
  file_name text NOT NULL,
  content bytea NOT NULL,
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER audit_exports_immutable BEFORE UPDATE OR DELETE ON audit_exports
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER audit_exports_no_truncate BEFORE TRUNCATE ON audit_exports
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

-- A signed run and its findings do not change any more.
CREATE FUNCTION refuse_signed_audit_run_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'SIGNED' THEN
    RAISE EXCEPTION 'audit run % is signed off: it does not change', OLD.id USING ERRCODE = 'check_violation', CONSTRAINT = 'audit_run_signed';
  END IF;
  RETURN NEW;
END
$$;
CREATE FUNCTION refuse_signed_audit_finding_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM audit_runs WHERE id = OLD.run_id AND status = 'SIGNED') THEN
    RAISE EXCEPTION 'audit run % is signed off: its findings do not change', OLD.run_id USING ERRCODE = 'check_violation', CONSTRAINT = 'audit_run_signed';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_runs_signed_immutable BEFORE UPDATE OR DELETE ON audit_runs FOR EACH ROW EXECUTE FUNCTION refuse_signed_audit_run_change();
CREATE TRIGGER audit_findings_signed_immutable BEFORE UPDATE OR DELETE ON audit_findings FOR EACH ROW EXECUTE FUNCTION refuse_signed_audit_finding_change();

-- "Step-up recorded" for the weekly check of large payouts (docs/rules.md#audit-schedule): every approval or rejection
-- row keeps the time step of the approver's last accepted TOTP code as it stood when the decision was written. The
-- approval paths (payout approval, pay-run decisions) consume a fresh code just before writing the row, so a
-- decision made with a step-up has a step a few seconds old; one written without (by hand, by a path that skipped
-- the step-up) has none or an old one. Kept by the database so every writer records it.
ALTER TABLE payout_approvals ADD COLUMN step_up_totp_step bigint;
CREATE FUNCTION record_approval_step_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT totp_last_step INTO NEW.step_up_totp_step FROM users WHERE id = NEW.approver_id;
  RETURN NEW;
END
$$;
CREATE TRIGGER payout_approvals_step_up BEFORE INSERT ON payout_approvals FOR EACH ROW EXECUTE FUNCTION record_approval_step_up();

GRANT SELECT, INSERT, UPDATE ON audit_runs, audit_findings TO ledgerflow_app;
GRANT SELECT, INSERT ON audit_exports TO ledgerflow_app;

-- Findings are notified to finance through the outbox; the allowed kinds are extended from whatever list is in force.
DO $$
DECLARE
  definition text;
BEGIN
  SELECT pg_get_constraintdef(oid) INTO definition FROM pg_constraint
  WHERE conrelid = 'notifications'::regclass AND conname = 'notifications_kind_check';
  IF position('ARRAY[' IN definition) = 0 THEN
    RAISE EXCEPTION 'unexpected form of notifications_kind_check: %', definition;
  END IF;
  EXECUTE 'ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check';
  EXECUTE 'ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check '
    || replace(definition, 'ARRAY[', 'ARRAY[''AUDIT_FINDINGS''::text, ');
END
$$;
