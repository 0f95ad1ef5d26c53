-- The audit log: one record per financial action, append-only for the application, sealed into a hash chain.
-- Writers never wait for each other: each record carries its own checksum, computed from its content as it is
-- inserted; a single sealer later links batches of committed records into the chain (audit_chain), in the order
-- of their transaction ids, so a changed, removed or back-dated record breaks the chain from that record on.

CREATE TABLE audit_records (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The writing transaction: the sealer only seals records whose transactions have all finished.
  xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  created_at timestamptz NOT NULL DEFAULT now(),
  action text NOT NULL,
  actor text NOT NULL,
  target_type text NOT NULL,
  target_id text NOT NULL,
  amount numeric,
  currency text,
  balance_before numeric,
  balance_after numeric,
  reason text,
  ip inet,
  entry_id bigint REFERENCES journal_entries (id),
  details jsonb NOT NULL DEFAULT '{}',
  checksum bytea NOT NULL
);

CREATE INDEX audit_records_by_xid ON audit_records (xid);
CREATE INDEX audit_records_by_target ON audit_records (target_type, target_id, id);

-- One canonical text per record; the checksum is its SHA-256. Verification recomputes it the same way.
CREATE FUNCTION audit_record_checksum(r audit_records) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT sha256(convert_to(jsonb_build_array(
    r.id, r.xid::text, to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    r.action, r.actor, r.target_type, r.target_id, r.amount::text, r.currency, r.balance_before::text,
    r.balance_after::text, r.reason, host(r.ip), r.entry_id, r.details
  )::text, 'UTF8'))
$$;

CREATE FUNCTION set_audit_checksum() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.xid := pg_current_xact_id();
  NEW.created_at := now();
  NEW.checksum := audit_record_checksum(NEW);
  RETURN NEW;
END
$$;

CREATE TRIGGER audit_records_checksum BEFORE INSERT ON audit_records
  FOR EACH ROW EXECUTE FUNCTION set_audit_checksum();
CREATE TRIGGER audit_records_immutable BEFORE UPDATE OR DELETE ON audit_records
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

CREATE TABLE audit_seals (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Every record with horizon_from <= xid < horizon_to is in this seal.
  horizon_from xid8 NOT NULL,
  horizon_to xid8 NOT NULL,
  record_count integer NOT NULL,
  chain_hash bytea NOT NULL,
  sealed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_chain (
  position bigint PRIMARY KEY,
  record_id bigint NOT NULL UNIQUE,
  seal_id bigint NOT NULL REFERENCES audit_seals (id),
  chain_hash bytea NOT NULL
);

CREATE TRIGGER audit_seals_immutable BEFORE UPDATE OR DELETE ON audit_seals
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER audit_chain_immutable BEFORE UPDATE OR DELETE ON audit_chain
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

-- Seals every record whose transaction has finished and that no seal covers yet. One sealer at a time (an
-- advisory lock); it returns the number of records sealed. chain_hash(n) = sha256(chain_hash(n-1) || checksum(n)).
CREATE FUNCTION seal_audit_records() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
  previous_horizon xid8;
  previous_hash bytea;
  next_position bigint;
  new_seal_id bigint;
  sealed integer := 0;
  record record;
  record_ids bigint[] := '{}';
  chain_hashes bytea[] := '{}';
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('ledgerflow.audit_sealer')) THEN
    RETURN 0;
  END IF;
  SELECT s.horizon_to INTO previous_horizon FROM audit_seals s ORDER BY s.id DESC LIMIT 1;
  previous_horizon := coalesce(previous_horizon, '0'::xid8);
  IF horizon <= previous_horizon THEN
    RETURN 0;
  END IF;
  SELECT c.chain_hash, c.position + 1 INTO previous_hash, next_position
    FROM audit_chain c ORDER BY c.position DESC LIMIT 1;
  previous_hash := coalesce(previous_hash, '\x'::bytea);
  next_position := coalesce(next_position, 1);

  FOR record IN
    SELECT r.id, r.checksum FROM audit_records r
    WHERE r.xid >= previous_horizon AND r.xid < horizon
    ORDER BY r.xid, r.id
  LOOP
    previous_hash := sha256(previous_hash || record.checksum);
    record_ids := record_ids || record.id;
    chain_hashes := chain_hashes || previous_hash;
  END LOOP;
  sealed := cardinality(record_ids);
  IF sealed = 0 THEN
    RETURN 0;
  END IF;
  INSERT INTO audit_seals (horizon_from, horizon_to, record_count, chain_hash)
    VALUES (previous_horizon, horizon, sealed, previous_hash) RETURNING id INTO new_seal_id;
  INSERT INTO audit_chain (position, record_id, seal_id, chain_hash)
    SELECT next_position + c.ordinality - 1, c.record_id, new_seal_id, c.chain_hash
    FROM unnest(record_ids, chain_hashes) WITH ORDINALITY AS c (record_id, chain_hash, ordinality);
  RETURN sealed;
END
$$;

REVOKE ALL ON audit_records, audit_seals, audit_chain FROM PUBLIC;
GRANT SELECT, INSERT ON audit_records TO ledgerflow_app;
GRANT SELECT ON audit_seals, audit_chain TO ledgerflow_app;
