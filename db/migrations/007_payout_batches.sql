-- Automatic payouts go to the provider in batches per payment method (docs/rules.md#payout-batches). Each batch is recorded before it
-- is sent (SENDING) and again with the provider's answer per item (SENT), so ops can see what left together,
-- including a batch whose worker died mid-send. A payout's attempts may appear in several batches: its exactly-once
-- guarantee is the idempotency key of each attempt, not the batch.

CREATE TABLE payout_batches (
  id uuid PRIMARY KEY,
  method_id text NOT NULL,
  provider text NOT NULL,
  item_count integer NOT NULL CHECK (item_count > 0),
  -- The sum of the items' amounts per currency, as decimal strings: {"USD": "1234.50"}.
  totals jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('SENDING', 'SENT')),
  accepted_count integer CHECK (accepted_count >= 0),
  failed_count integer CHECK (failed_count >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  answered_at timestamptz,
  CHECK ((status = 'SENT') = (answered_at IS NOT NULL))
);
CREATE INDEX payout_batches_recent ON payout_batches (created_at DESC, id);

CREATE TABLE payout_batch_items (
  batch_id uuid NOT NULL REFERENCES payout_batches (id),
  position integer NOT NULL CHECK (position >= 0),
  payout_id uuid NOT NULL REFERENCES payouts (id),
  idempotency_key text NOT NULL,
  amount numeric NOT NULL CHECK (amount > 0),
  currency text NOT NULL REFERENCES currencies (code),
  -- NULL until the provider answered: ACCEPTED (outcome by webhook), FAILED (a docs/rules.md#payout-provider-retries code), REJECTED (our bug).
  outcome text CHECK (outcome IN ('ACCEPTED', 'FAILED', 'REJECTED')),
  provider_reference text,
  failure_code text,
  message text,
  PRIMARY KEY (batch_id, position)
);
CREATE INDEX payout_batch_items_by_payout ON payout_batch_items (payout_id);

REVOKE ALL ON payout_batches, payout_batch_items FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON payout_batches, payout_batch_items TO ledgerflow_app;
