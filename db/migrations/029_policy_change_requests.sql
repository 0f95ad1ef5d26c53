-- Four eyes on policy changes that move a limit (docs/rules.md#four-eyes): a new policy version that changes an
-- approval tier, threshold, the four-eyes settings, the sign-in limits or the details-change window is not applied;
-- it waits here PENDING until a second person approves it (then it becomes a policy_versions row) or rejects it.
CREATE TABLE policy_change_requests (
  id uuid PRIMARY KEY,
  -- The latest policy version when it was requested: approving it after another version was added is refused (stale).
  base_version integer NOT NULL,
  effective_from timestamptz NOT NULL,
  document jsonb NOT NULL,
  reason text NOT NULL,
  -- The limit sections before (the base version's) and after (the requested document's).
  tiers_before jsonb NOT NULL,
  tiers_after jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED')),
  applied_version integer,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_by text,
  decided_at timestamptz,
  decision_reason text,
  CHECK (decided_by IS NULL OR decided_by <> created_by),
  CHECK ((status = 'APPROVED') = (applied_version IS NOT NULL))
);
CREATE INDEX policy_change_requests_pending ON policy_change_requests (created_at) WHERE status = 'PENDING';

REVOKE ALL ON policy_change_requests FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON policy_change_requests TO ledgerflow_app;
