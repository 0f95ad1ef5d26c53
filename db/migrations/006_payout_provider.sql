-- Automatic payouts (issue #4, provider slice): which attempt at the provider is current, the provider's reference
-- for it, and the manual review queue for payouts whose attempts ran out (docs/rules.md#payout-provider-retries).
ALTER TABLE payouts
  ADD COLUMN provider_attempt integer NOT NULL DEFAULT 0 CHECK (provider_attempt >= 0),
  ADD COLUMN provider_reference text,
  ADD COLUMN needs_review boolean NOT NULL DEFAULT false;

CREATE INDEX payouts_needs_review ON payouts (sla_due_at, id) WHERE needs_review;
