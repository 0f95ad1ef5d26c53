-- Partner validation and invoices before approval (AWAITING_PARTNER in docs/rules.md#payout-statuses, docs/rules.md#partner-validation: the partner
-- validates the payout and may upload an invoice). Switched by the policy (`payouts.partnerValidation`); a payout
-- requested under a policy without it never enters AWAITING_PARTNER.

ALTER TABLE payouts DROP CONSTRAINT payouts_status_check;
ALTER TABLE payouts ADD CONSTRAINT payouts_status_check
  CHECK (status IN ('DRAFT', 'REQUESTED', 'HELD', 'AWAITING_PARTNER', 'AWAITING_APPROVAL', 'APPROVED', 'PROCESSING',
                    'COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED'));

-- An export may be filtered by any payout status, this one included.
ALTER TABLE payout_exports DROP CONSTRAINT payout_exports_status_filter_check;
ALTER TABLE payout_exports ADD CONSTRAINT payout_exports_status_filter_check
  CHECK (status_filter IN ('DRAFT', 'REQUESTED', 'HELD', 'AWAITING_PARTNER', 'AWAITING_APPROVAL', 'APPROVED',
                           'PROCESSING', 'COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED'));

-- Every invoice a partner uploaded, kept: a replacement (allowed until the partner validates) is a new row, and the
-- current invoice of a payout is its latest. Rows never change (no UPDATE/DELETE grant, and a trigger refuses it for
-- the owner too). The database checks the size, the type and that the checksum is the content's.
CREATE TABLE payout_invoices (
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
CREATE INDEX payout_invoices_by_payout ON payout_invoices (payout_id, id DESC);

CREATE TRIGGER payout_invoices_immutable BEFORE UPDATE OR DELETE ON payout_invoices
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER payout_invoices_no_truncate BEFORE TRUNCATE ON payout_invoices
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

-- The partner's validation, bound to what they saw (like an approval in payout_approvals) and to the invoice current
-- when they validated; the deadline after which an unvalidated payout is cancelled (the workflow's timer decides,
-- this column shows it).
ALTER TABLE payouts
  ADD COLUMN partner_validation_due_at timestamptz,
  ADD COLUMN partner_validated_by uuid REFERENCES users (id),
  ADD COLUMN partner_validated_at timestamptz,
  ADD COLUMN partner_amount_seen numeric,
  ADD COLUMN partner_details_hash_seen text,
  ADD COLUMN partner_invoice_id bigint REFERENCES payout_invoices (id),
  ADD CONSTRAINT payouts_partner_validation_complete
    CHECK ((partner_validated_by IS NULL) = (partner_validated_at IS NULL)
           AND (partner_validated_at IS NULL) = (partner_amount_seen IS NULL)
           AND (partner_validated_at IS NULL) = (partner_details_hash_seen IS NULL)
           AND (partner_invoice_id IS NULL OR partner_validated_at IS NOT NULL));

REVOKE ALL ON payout_invoices FROM PUBLIC;
GRANT SELECT, INSERT ON payout_invoices TO ledgerflow_app;
