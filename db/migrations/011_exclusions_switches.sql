-- The payments exclude list (docs/rules.md#payment-exclusions) and the emergency switches (docs/rules.md#emergency-switches).

-- The exclude list. An exclusion withholds from the pay batch every APPROVED commission whose source matches and
-- whose transaction happened in [from_at, to_at) (to_at NULL: no end). The commissions stay APPROVED in
-- `commission_approved` and in every statistic; removing the exclusion lets the next pay batch pay them.
-- Rows are never deleted: removal stamps removed_*, once (the application may update only those columns).
CREATE TABLE payment_exclusions (
  id bigserial PRIMARY KEY,
  match_field text NOT NULL CHECK (match_field IN ('SOURCE_TYPE', 'SOURCE_ID')),
  match_value text NOT NULL CHECK (length(match_value) BETWEEN 1 AND 128),
  from_at timestamptz NOT NULL,
  to_at timestamptz,
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  removed_by text,
  removed_at timestamptz,
  removal_reason text,
  CHECK (to_at IS NULL OR to_at > from_at),
  CHECK ((removed_by IS NULL) = (removed_at IS NULL) AND (removed_at IS NULL) = (removal_reason IS NULL))
);

-- The pay batch probes the active exclusions once per APPROVED commission it considers.
CREATE INDEX payment_exclusions_active ON payment_exclusions (match_field, match_value) WHERE removed_at IS NULL;

CREATE FUNCTION payment_exclusion_keep_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'DELETE of payment_exclusions is not allowed: remove an exclusion instead'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.removed_at IS NOT NULL THEN
    RAISE EXCEPTION 'payment exclusion % was removed already', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER payment_exclusions_keep_history BEFORE UPDATE OR DELETE ON payment_exclusions
  FOR EACH ROW EXECUTE FUNCTION payment_exclusion_keep_history();

-- Global and per-method switches, one row per switch once it has first been set; the audit log (POLICY_CHANGE,
-- target_type 'ops_switch') keeps every change. PROCESSING_PAUSED has method_id ''.
CREATE TABLE ops_switches (
  switch text NOT NULL CHECK (switch IN ('PROCESSING_PAUSED', 'METHOD_FORCE_MANUAL')),
  method_id text NOT NULL DEFAULT '',
  active boolean NOT NULL,
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  changed_by text NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (switch, method_id),
  CHECK ((switch = 'PROCESSING_PAUSED') = (method_id = ''))
);

-- A partner's payouts frozen (suspected fraud, balance discrepancy): BALANCE_FREEZE / BALANCE_UNFREEZE audit
-- records keep every change; the row holds the current state.
CREATE TABLE partner_freezes (
  partner_id text PRIMARY KEY REFERENCES partners (id),
  frozen boolean NOT NULL,
  kind text NOT NULL CHECK (kind IN ('FRAUD_SUSPECTED', 'BALANCE_DISCREPANCY')),
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  changed_by text NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX partner_freezes_frozen ON partner_freezes (changed_at) WHERE frozen;

REVOKE ALL ON payment_exclusions, ops_switches, partner_freezes FROM PUBLIC;
GRANT SELECT, INSERT ON payment_exclusions TO ledgerflow_app;
GRANT UPDATE (removed_by, removed_at, removal_reason) ON payment_exclusions TO ledgerflow_app;
GRANT SELECT, INSERT, UPDATE ON ops_switches, partner_freezes TO ledgerflow_app;
GRANT USAGE ON SEQUENCE payment_exclusions_id_seq TO ledgerflow_app;
