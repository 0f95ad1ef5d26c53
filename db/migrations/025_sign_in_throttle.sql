-- Sign-in hardening (issue #16, docs/rules.md#sign-in): failure counters per account and per client address, a record
-- of every sign-in attempt, and per-session state for the step-up limit.

-- One row per account (its lower-cased email, known or not, so a throttled answer says nothing about whether it
-- exists) and per client address. `failures` counts consecutive failures; an attempt is counted before its password
-- is hashed and uncounted when it succeeds, so parallel guesses cannot all slip past the check. The delay and the
-- lockout are computed from `failures` and `last_failure_at` (domain/sign-in-throttle.ts).
CREATE TABLE sign_in_throttles (
  kind text NOT NULL CHECK (kind IN ('account', 'address')),
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 254),
  failures integer NOT NULL CHECK (failures >= 0),
  last_failure_at timestamptz NOT NULL,
  PRIMARY KEY (kind, key)
);

-- Every attempt, with its address and time: the failures and lockouts an admin reviews (append-only for the app).
CREATE TABLE sign_in_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  attempted_at timestamptz NOT NULL,
  email text NOT NULL,
  user_id uuid REFERENCES users (id),
  address inet,
  outcome text NOT NULL CHECK (outcome IN ('SUCCEEDED', 'FAILED', 'DELAYED', 'LOCKED')),
  -- The counters after this attempt (null for the side that has no counter: no address known).
  account_failures integer,
  address_failures integer
);

CREATE INDEX sign_in_attempts_by_email ON sign_in_attempts (email, attempted_at);
CREATE INDEX sign_in_attempts_by_address ON sign_in_attempts (address, attempted_at);

-- A session's own id (the token's hash is its key, but it is not something to show or log) and its wrong step-up
-- codes: at the policy's limit the session is revoked.
ALTER TABLE sessions
  ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid(),
  ADD COLUMN step_up_failures integer NOT NULL DEFAULT 0 CHECK (step_up_failures >= 0);
CREATE UNIQUE INDEX sessions_by_id ON sessions (id);

REVOKE ALL ON sign_in_throttles, sign_in_attempts FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON sign_in_throttles TO ledgerflow_app;
GRANT SELECT, INSERT ON sign_in_attempts TO ledgerflow_app;
