-- The non-regular payment in docs/rules.md#payout-fees: a payout made off the payment schedule, or below the method's minimum, at a
-- surcharge of the method's percentage. The surcharge is part of `fee` (what the platform keeps); it is also kept on
-- its own so the queue and exports show the breakdown. Every payout before this was regular.
ALTER TABLE payouts
  ADD COLUMN non_regular boolean NOT NULL DEFAULT false,
  ADD COLUMN surcharge numeric NOT NULL DEFAULT 0 CHECK (surcharge >= 0),
  ADD CONSTRAINT payouts_surcharge_in_fee CHECK (surcharge <= fee AND (non_regular OR surcharge = 0));
