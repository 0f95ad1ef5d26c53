-- A complete audit trail (issue #18, docs/rules.md#audit-trail): an audit record that names the journal entry of the
-- action it records carries the balance before and after that entry, taken by the database as the record is inserted,
-- in the transaction that posted the entry, from the balance rows the posting locked: no extra round trip, and no
-- step can forget it. A writer that states the balances itself (payouts, bonuses, dispute adjustments) keeps them.
--
-- Which balance: the partner's (the record's target when it is a partner, else details.partnerId, else the one
-- partner the entry touches); of that partner's accounts in the entry, the first one credited, else the first one
-- debited (by posting line). The account is written into details.balanceAccount (owner:id:bucket:currency), before
-- the checksum is computed, so it is covered by it. A record without an entry, or whose entry touches no partner
-- account (or several partners and none is named), has no balance: no partner's money moved in it.
--
-- balance_after is the account's cached balance (its rows are locked by this transaction's posting) less what later
-- entries of the same transaction moved on it; balance_before is that less what this entry moved. Both equal the sums
-- of the account's postings up to and before the entry (test/audit/audit-trail.test.ts checks it against postings).

CREATE FUNCTION set_audit_balances() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  named_partner text;
  chosen record;
  balance numeric;
BEGIN
  IF NEW.entry_id IS NULL OR NEW.balance_before IS NOT NULL OR NEW.balance_after IS NOT NULL THEN
    RETURN NEW;
  END IF;
  named_partner := CASE WHEN NEW.target_type = 'partner' THEN NEW.target_id ELSE NEW.details ->> 'partnerId' END;
  SELECT a.id, a.owner_id, a.bucket, a.currency, sum(p.amount) AS moved, min(p.created_at) AS posted_at
    INTO chosen
    FROM postings p JOIN accounts a ON a.id = p.account_id
   WHERE p.entry_id = NEW.entry_id AND a.owner_type = 'partner' AND (named_partner IS NULL OR a.owner_id = named_partner)
   GROUP BY a.id, a.owner_id, a.bucket, a.currency
   ORDER BY (sum(p.amount) > 0) DESC, min(p.line)
   LIMIT 1;
  IF NOT FOUND THEN
    RETURN NEW;
  END IF;
  IF named_partner IS NULL AND EXISTS (
    SELECT 1 FROM postings p JOIN accounts a ON a.id = p.account_id
     WHERE p.entry_id = NEW.entry_id AND a.owner_type = 'partner' AND a.owner_id <> chosen.owner_id
  ) THEN
    RETURN NEW;
  END IF;
  SELECT sum(b.balance) INTO balance FROM account_balances b WHERE b.account_id = chosen.id;
  balance := balance - coalesce((
    SELECT sum(p.amount) FROM postings p
     WHERE p.account_id = chosen.id AND p.created_at >= chosen.posted_at AND p.entry_id > NEW.entry_id
  ), 0);
  NEW.balance_after := balance;
  NEW.balance_before := balance - chosen.moved;
  NEW.details := NEW.details || jsonb_build_object(
    'balanceAccount', concat_ws(':', 'partner', chosen.owner_id, chosen.bucket, chosen.currency));
  RETURN NEW;
END
$$;

-- BEFORE triggers fire in name order: this one before audit_records_checksum, which then covers the balances.
CREATE TRIGGER audit_records_balances BEFORE INSERT ON audit_records
  FOR EACH ROW EXECUTE FUNCTION set_audit_balances();
