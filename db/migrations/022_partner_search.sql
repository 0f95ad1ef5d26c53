-- The partner directory search (GET /v1/partners?q=): a case-insensitive substring of a partner's name or id. The
-- trigram indexes of migration 009 are on name and id as they are, which serve ILIKE; these are on lower(name) and
-- lower(id), the expressions the directory's query compares with `lower(...) LIKE lower(pattern)`.
-- Where pg_trgm cannot be created (not installed, or an owner without CREATE on the database) the search still
-- works, by scanning: the query is the same either way.
DO $$
BEGIN
  BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
  EXCEPTION WHEN undefined_file OR insufficient_privilege OR feature_not_supported THEN
    RAISE NOTICE 'pg_trgm is not available (%): partner search will scan instead of using an index', SQLERRM;
  END;
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    EXECUTE 'CREATE INDEX partners_lower_name_trigram ON partners USING gin (lower(name) gin_trgm_ops)';
    EXECUTE 'CREATE INDEX partners_lower_id_trigram ON partners USING gin (lower(id) gin_trgm_ops)';
  END IF;
END
$$;
