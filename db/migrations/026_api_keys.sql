-- API keys for machines (issue #16, docs/rules.md#api-keys): a shop or an ERP sends events with a scoped key
-- instead of an admin's session. Only the SHA-256 of a key's 256-bit secret is kept (docs/decisions.md, "API
-- keys"); the key itself is shown once, when it is created.

CREATE TABLE api_keys (
  -- Public: 16 hex digits, the `<id>` in `lf_<id>_<secret>`; how the key is listed, revoked and audited.
  id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  scopes text[] NOT NULL CHECK (
    cardinality(scopes) BETWEEN 1 AND 10
    AND scopes <@ ARRAY['events:write', 'events:read', 'reports:read']::text[]
  ),
  secret_hash bytea NOT NULL CHECK (octet_length(secret_hash) = 32),
  -- The token bucket (docs/rules.md#api-keys): up to requests_per_minute calls, refilled at that rate.
  requests_per_minute integer NOT NULL CHECK (requests_per_minute BETWEEN 1 AND 60000),
  bucket_tokens double precision NOT NULL CHECK (bucket_tokens >= 0),
  bucket_refilled_at timestamptz NOT NULL,
  -- A user id, or `system:cli` for a key made with `ledgerflow api-key create`.
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_by text,
  revoked_at timestamptz,
  CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);

-- A key is never deleted and never changes what it is; a revocation is final.
CREATE FUNCTION refuse_api_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'api keys are revoked, never deleted' USING ERRCODE = 'restrict_violation';
  END IF;
  IF NEW.id <> OLD.id OR NEW.name <> OLD.name OR NEW.scopes <> OLD.scopes OR NEW.secret_hash <> OLD.secret_hash
     OR NEW.requests_per_minute <> OLD.requests_per_minute OR NEW.created_by <> OLD.created_by
     OR NEW.created_at <> OLD.created_at
     OR (OLD.revoked_at IS NOT NULL AND (NEW.revoked_at IS DISTINCT FROM OLD.revoked_at
                                         OR NEW.revoked_by IS DISTINCT FROM OLD.revoked_by)) THEN
    RAISE EXCEPTION 'an api key changes only its bucket, its last use and (once) its revocation'
      USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER api_keys_guarded BEFORE UPDATE OR DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION refuse_api_key_change();
CREATE TRIGGER api_keys_no_truncate BEFORE TRUNCATE ON api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

-- Every call made with a key, refused ones included (wrong scope, rate limit): append-only.
CREATE TABLE api_key_calls (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key_id text NOT NULL REFERENCES api_keys (id),
  called_at timestamptz NOT NULL DEFAULT now(),
  method text NOT NULL,
  path text NOT NULL CHECK (length(path) <= 2048),
  status smallint NOT NULL,
  ip inet
);
CREATE INDEX api_key_calls_by_key ON api_key_calls (key_id, id DESC);

CREATE TRIGGER api_key_calls_immutable BEFORE UPDATE OR DELETE ON api_key_calls
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER api_key_calls_no_truncate BEFORE TRUNCATE ON api_key_calls
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

-- Who sent each event: a user id, or `api-key:<id>`. Events recorded before this migration have none.
ALTER TABLE commission_events ADD COLUMN recorded_by text;

REVOKE ALL ON api_keys, api_key_calls FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON api_keys TO ledgerflow_app;
GRANT SELECT, INSERT ON api_key_calls TO ledgerflow_app;
