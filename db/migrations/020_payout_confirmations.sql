-- A manual payout's confirmation file (issue #4 item 5, issue #6): the bank's or provider's proof that the money left,
-- uploaded by the admin who processes it, kept immutable with its checksum like a partner's invoice (migration 012).
CREATE TABLE payout_confirmations (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  payout_id uuid NOT NULL REFERENCES payouts (id),
  file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255 AND file_name !~ '[[:cntrl:]/\\"]'),
  content_type text NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
  size_bytes integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 5242880),
  content bytea NOT NULL,
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  uploaded_by uuid NOT NULL REFERENCES users (id),
  uploaded_at timestamptz NOT NULL DEFAULT now(),
  CHECK (octet_length(content) = size_bytes),
  CHECK (sha256 = encode(sha256(content), 'hex'))
);
CREATE INDEX payout_confirmations_by_payout ON payout_confirmations (payout_id, id DESC);

CREATE TRIGGER payout_confirmations_immutable BEFORE UPDATE OR DELETE ON payout_confirmations
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER payout_confirmations_no_truncate BEFORE TRUNCATE ON payout_confirmations
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

REVOKE ALL ON payout_confirmations FROM PUBLIC;
GRANT SELECT, INSERT ON payout_confirmations TO ledgerflow_app;
