-- Payout exports (docs/rules.md#payout-exports): every CSV, PayQuicker and per-method batch file that was produced, who produced it,
-- what it contained, and the file itself. The file is kept as it was first produced, so a re-download returns the
-- same bytes (checked against the stored SHA-256) even after the payouts it lists have moved on. "Only new
-- requests" and "not batched before" are answered by the link table.

CREATE TABLE payout_exports (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('CSV_ALL', 'CSV_NEW', 'PAYQUICKER', 'METHOD_BATCH')),
  -- The filters the export was asked for (method_id NULL: every method; status NULL: every status but DRAFT).
  method_id text,
  status_filter text CHECK (status_filter IN ('DRAFT', 'REQUESTED', 'HELD', 'AWAITING_APPROVAL', 'APPROVED', 'PROCESSING',
                                              'COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED')),
  created_from timestamptz,
  created_to timestamptz,
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  row_count integer NOT NULL CHECK (row_count >= 0),
  -- Per currency, decimal strings at the currency's scale:
  -- {"USD": {"count": 2, "amount": "150.00", "fee": "7.00", "amountToTransfer": "143.00"}}.
  totals jsonb NOT NULL,
  file_name text NOT NULL,
  content_type text NOT NULL,
  content bytea NOT NULL,
  checksum_sha256 text NOT NULL CHECK (checksum_sha256 ~ '^[0-9a-f]{64}$'),
  CHECK (kind <> 'METHOD_BATCH' OR method_id IS NOT NULL),
  CHECK (created_from IS NULL OR created_to IS NULL OR created_from < created_to)
);
CREATE INDEX payout_exports_recent ON payout_exports (created_at DESC, id DESC);

-- Which payouts each export listed, in file order.
CREATE TABLE payout_export_items (
  export_id uuid NOT NULL REFERENCES payout_exports (id),
  position integer NOT NULL CHECK (position >= 0),
  payout_id uuid NOT NULL REFERENCES payouts (id),
  PRIMARY KEY (export_id, position),
  UNIQUE (export_id, payout_id)
);
-- "Was this payout exported (or batched) before?" for CSV_NEW and the payment files.
CREATE INDEX payout_export_items_by_payout ON payout_export_items (payout_id);

-- An export is a record of what left the system: nobody rewrites or removes it, the owner included.
CREATE TRIGGER payout_exports_immutable BEFORE UPDATE OR DELETE ON payout_exports
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER payout_exports_no_truncate BEFORE TRUNCATE ON payout_exports
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER payout_export_items_immutable BEFORE UPDATE OR DELETE ON payout_export_items
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER payout_export_items_no_truncate BEFORE TRUNCATE ON payout_export_items
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

-- Payments history search (docs/rules.md#payment-history): one text per payout of what a substring may match, the values of its copied
-- payment details (in key order) and its references. The unit separator between values keeps a match from
-- spanning two of them; the API refuses control characters in a query.
CREATE FUNCTION payout_search_text(details jsonb, external_reference text, provider_reference text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT concat_ws(E'\x1f',
    (SELECT string_agg(d.value, E'\x1f' ORDER BY d.key) FROM jsonb_each_text(details) AS d (key, value)),
    external_reference, provider_reference)
$$;

-- Trigram indexes make the substring search use an index. pg_trgm is a trusted extension (PostgreSQL 13+): a
-- database owner may create it without being a superuser. Where it cannot be created (not installed, or an owner
-- without CREATE on the database) the search still works, by scanning: the queries use plain ILIKE either way.
DO $$
BEGIN
  BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
  EXCEPTION WHEN undefined_file OR insufficient_privilege OR feature_not_supported THEN
    RAISE NOTICE 'pg_trgm is not available (%): payment history search will scan instead of using an index', SQLERRM;
  END;
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    EXECUTE 'CREATE INDEX payouts_search_trigram ON payouts
               USING gin (payout_search_text(payment_details, external_reference, provider_reference) gin_trgm_ops)';
    EXECUTE 'CREATE INDEX partners_name_trigram ON partners USING gin (name gin_trgm_ops)';
    EXECUTE 'CREATE INDEX partners_id_trigram ON partners USING gin (id gin_trgm_ops)';
  END IF;
END
$$;

REVOKE ALL ON payout_exports, payout_export_items FROM PUBLIC;
GRANT SELECT, INSERT ON payout_exports, payout_export_items TO ledgerflow_app;
GRANT EXECUTE ON FUNCTION payout_search_text(jsonb, text, text) TO ledgerflow_app;
