-- Statement matching (issue #18, docs/rules.md#statement-matching): a day's completed payouts are matched, item by
-- item and by configured rules, against the settlement statement of their source (the payment provider's, fetched by
-- `reconciliation-<date>`; a bank statement uploaded by finance for manual methods). A payout and a statement line
-- are matched at most once (primary keys below); what stays unmatched becomes an exception, one per day, source,
-- kind and subject however often the day is matched again, with its own lifecycle. A day with an open or acknowledged
-- exception cannot be signed off (trigger on the archive), and nothing is added to a signed day.

-- The matching rules, per source, in order (configured data: finance may replace them; docs/rules.md#statement-matching).
CREATE TABLE statement_matching_rules (
  source text NOT NULL CHECK (source IN ('provider', 'bank')),
  position integer NOT NULL CHECK (position >= 1),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  shape text NOT NULL CHECK (shape IN ('one_to_one', 'one_to_many', 'many_to_one')),
  match_reference boolean NOT NULL,
  amount_tolerance numeric NOT NULL CHECK (amount_tolerance >= 0),
  date_tolerance_days integer NOT NULL CHECK (date_tolerance_days BETWEEN 0 AND 31),
  max_group_size integer CHECK (max_group_size BETWEEN 2 AND 8),
  updated_by text NOT NULL DEFAULT 'system:migration-035',
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, position),
  UNIQUE (source, name)
);
INSERT INTO statement_matching_rules (source, position, name, shape, match_reference, amount_tolerance, date_tolerance_days, max_group_size)
SELECT source, position, name, shape, match_reference, amount_tolerance, date_tolerance_days, max_group_size
FROM (VALUES ('provider'), ('bank')) AS sources (source)
CROSS JOIN (VALUES
  (1, 'reference-exact', 'one_to_one', true, 0, 1, NULL::integer),
  (2, 'reference-split', 'one_to_many', true, 0, 1, 6),
  (3, 'reference-aggregate', 'many_to_one', true, 0, 1, 6),
  (4, 'amount-date', 'one_to_one', false, 0, 0, NULL)
) AS rules (position, name, shape, match_reference, amount_tolerance, date_tolerance_days, max_group_size);

-- One statement received: the provider's for a day (fetched), or one uploaded bank statement file.
CREATE TABLE statements (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  day date NOT NULL,
  source text NOT NULL CHECK (source IN ('provider', 'bank')),
  -- The provider's name, or the bank file's name.
  origin text NOT NULL CHECK (length(origin) BETWEEN 1 AND 255),
  sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  line_count integer NOT NULL CHECK (line_count >= 0),
  received_by text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
-- The provider's statement of a day is fetched once (a rerun reads the stored one).
CREATE UNIQUE INDEX statements_one_provider_statement_per_day ON statements (day) WHERE source = 'provider';
CREATE INDEX statements_by_day ON statements (day, source, id);

CREATE TABLE statement_lines (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  statement_id bigint NOT NULL REFERENCES statements (id),
  day date NOT NULL,
  source text NOT NULL CHECK (source IN ('provider', 'bank')),
  -- The provider's or the bank's id of the line: a line is stated once per day and source, whatever the upload.
  line_ref text NOT NULL CHECK (length(line_ref) BETWEEN 1 AND 100),
  reference text,
  amount numeric NOT NULL CHECK (amount > 0),
  currency text NOT NULL REFERENCES currencies (code),
  value_date date NOT NULL,
  UNIQUE (day, source, line_ref)
);
CREATE INDEX statement_lines_by_statement ON statement_lines (statement_id, id);

CREATE TABLE statement_matches (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  day date NOT NULL,
  source text NOT NULL CHECK (source IN ('provider', 'bank')),
  rule text NOT NULL,
  shape text NOT NULL CHECK (shape IN ('one_to_one', 'one_to_many', 'many_to_one')),
  -- Payouts' sum less lines' sum (within the rule's tolerance).
  difference numeric NOT NULL,
  matched_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX statement_matches_by_day ON statement_matches (day, source, id);
-- At most once, enforced here: the primary keys are the payout and the line themselves.
CREATE TABLE statement_match_payouts (
  payout_id uuid PRIMARY KEY REFERENCES payouts (id),
  match_id bigint NOT NULL REFERENCES statement_matches (id)
);
CREATE TABLE statement_match_lines (
  line_id bigint PRIMARY KEY REFERENCES statement_lines (id),
  match_id bigint NOT NULL REFERENCES statement_matches (id)
);
CREATE INDEX statement_match_payouts_by_match ON statement_match_payouts (match_id);
CREATE INDEX statement_match_lines_by_match ON statement_match_lines (match_id);

CREATE TABLE statement_exceptions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  day date NOT NULL,
  source text NOT NULL CHECK (source IN ('provider', 'bank')),
  kind text NOT NULL CHECK (kind IN ('UNMATCHED_PAYOUT', 'UNMATCHED_LINE', 'STATEMENT_MISSING')),
  -- What it is about, stable across reruns: a payout id, `line <line_ref>`, or `statement`.
  subject text NOT NULL,
  payout_id uuid REFERENCES payouts (id),
  line_id bigint REFERENCES statement_lines (id),
  amount numeric,
  currency text,
  detail text NOT NULL,
  status text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'ACKNOWLEDGED', 'RESOLVED', 'ACCEPTED')),
  created_at timestamptz NOT NULL DEFAULT now(),
  acknowledged_by text,
  acknowledged_at timestamptz,
  closed_by text,
  closed_at timestamptz,
  note text CHECK (length(note) BETWEEN 1 AND 2000),
  -- RESOLVED: the correcting entry posted (a real journal entry), or the match that later accounted for the item.
  correcting_entry_id bigint REFERENCES journal_entries (id),
  resolved_by_match_id bigint REFERENCES statement_matches (id),
  -- Deduplicated per day: matching the day again never adds a second exception for the same thing.
  UNIQUE (day, source, kind, subject),
  CHECK ((kind = 'UNMATCHED_PAYOUT') = (payout_id IS NOT NULL)),
  CHECK ((kind = 'UNMATCHED_LINE') = (line_id IS NOT NULL)),
  CHECK ((status IN ('OPEN', 'ACKNOWLEDGED')) = (closed_at IS NULL)),
  CHECK (status <> 'RESOLVED' OR (note IS NOT NULL AND (correcting_entry_id IS NOT NULL OR resolved_by_match_id IS NOT NULL))),
  CHECK (status <> 'ACCEPTED' OR note IS NOT NULL),
  CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL))
);
CREATE INDEX statement_exceptions_by_day ON statement_exceptions (day, status, id);

-- A signed (archived) day takes no new statement, line, match or exception, and its exceptions stay as signed.
CREATE FUNCTION refuse_statement_change_in_signed_day() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM reconciliation_archives WHERE day = NEW.day) THEN
    RAISE EXCEPTION 'the day % is signed off: its statements and exceptions no longer change', NEW.day
      USING ERRCODE = 'check_violation', CONSTRAINT = 'statement_day_signed';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER statements_not_in_signed_day BEFORE INSERT ON statements
  FOR EACH ROW EXECUTE FUNCTION refuse_statement_change_in_signed_day();
CREATE TRIGGER statement_lines_not_in_signed_day BEFORE INSERT ON statement_lines
  FOR EACH ROW EXECUTE FUNCTION refuse_statement_change_in_signed_day();
CREATE TRIGGER statement_matches_not_in_signed_day BEFORE INSERT ON statement_matches
  FOR EACH ROW EXECUTE FUNCTION refuse_statement_change_in_signed_day();
CREATE TRIGGER statement_exceptions_not_in_signed_day BEFORE INSERT OR UPDATE ON statement_exceptions
  FOR EACH ROW EXECUTE FUNCTION refuse_statement_change_in_signed_day();

-- No sign-off (its archive row) while the day has an open or acknowledged exception (docs/decisions.md).
CREATE FUNCTION refuse_sign_off_with_open_exceptions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  open_count integer;
BEGIN
  SELECT count(*) INTO open_count FROM statement_exceptions WHERE day = NEW.day AND status IN ('OPEN', 'ACKNOWLEDGED');
  IF open_count > 0 THEN
    RAISE EXCEPTION 'the day % has % statement exception(s) not resolved or accepted', NEW.day, open_count
      USING ERRCODE = 'check_violation', CONSTRAINT = 'statement_exceptions_open';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER reconciliation_archives_no_open_exceptions BEFORE INSERT ON reconciliation_archives
  FOR EACH ROW EXECUTE FUNCTION refuse_sign_off_with_open_exceptions();

GRANT SELECT, INSERT, UPDATE, DELETE ON statement_matching_rules TO ledgerflow_app;
GRANT SELECT, INSERT ON statements, statement_lines, statement_matches, statement_match_payouts, statement_match_lines TO ledgerflow_app;
GRANT SELECT, INSERT, UPDATE ON statement_exceptions TO ledgerflow_app;

-- Finance hears of a day's new statement exceptions through the outbox: the kind is added to whatever the check allows.
DO $$
DECLARE
  allowed text[];
BEGIN
  SELECT array_agg(DISTINCT match[1] ORDER BY match[1]) INTO allowed
  FROM pg_constraint c, regexp_matches(pg_get_constraintdef(c.oid), '''([A-Z_]+)''', 'g') AS match
  WHERE c.conrelid = 'notifications'::regclass AND c.conname = 'notifications_kind_check';
  allowed := coalesce(allowed, '{}') || ARRAY['STATEMENT_EXCEPTIONS'];
  ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_kind_check;
  EXECUTE format('ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (%s))',
                 (SELECT string_agg(quote_literal(kind), ', ' ORDER BY kind) FROM (SELECT DISTINCT unnest(allowed) AS kind) AS kinds));
END
$$;
