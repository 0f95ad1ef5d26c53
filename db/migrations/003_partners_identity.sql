-- Partners (the network), users and their sessions, bonuses, and the API's idempotency records.

CREATE TABLE partners (
  id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
  name text NOT NULL,
  sponsor_id text REFERENCES partners (id),
  rank text NOT NULL,
  status text NOT NULL,
  kyc_status text NOT NULL,
  joined_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (sponsor_id IS NULL OR sponsor_id <> id)
);

CREATE INDEX partners_by_sponsor ON partners (sponsor_id);

CREATE TABLE users (
  id uuid PRIMARY KEY,
  email text NOT NULL UNIQUE CHECK (email = lower(email)),
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('partner', 'admin', 'senior_admin', 'finance_manager', 'finance_director',
                                     'financial_support')),
  partner_id text REFERENCES partners (id),
  totp_secret text,
  -- The last TOTP time step accepted: a code is accepted once only, and never an older one.
  totp_last_step bigint,
  disabled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((role = 'partner') = (partner_id IS NOT NULL)),
  CHECK (role = 'partner' OR totp_secret IS NOT NULL)
);

CREATE TABLE sessions (
  token_hash bytea PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  ip inet
);

CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE bonuses (
  id uuid PRIMARY KEY,
  partner_id text NOT NULL REFERENCES partners (id),
  amount numeric NOT NULL CHECK (amount <> 0),
  currency text NOT NULL REFERENCES currencies (code),
  reason text NOT NULL CHECK (length(reason) > 0),
  status text NOT NULL CHECK (status IN ('PENDING', 'COMPLETED', 'FAILED')),
  created_by uuid NOT NULL REFERENCES users (id),
  entry_id bigint REFERENCES journal_entries (id),
  failure text,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);

CREATE INDEX bonuses_by_partner ON bonuses (partner_id, created_at);

CREATE TABLE api_idempotency (
  user_id uuid NOT NULL REFERENCES users (id),
  key text NOT NULL,
  request_hash bytea NOT NULL,
  status_code integer,
  response jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);

REVOKE ALL ON partners, users, sessions, bonuses, api_idempotency FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON partners, users, sessions, bonuses, api_idempotency TO ledgerflow_app;
-- A stored response of a failed (5xx) request is removed so the client may retry with the same key.
GRANT DELETE ON api_idempotency TO ledgerflow_app;
