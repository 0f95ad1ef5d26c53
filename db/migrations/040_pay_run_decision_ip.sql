-- The approver's client address on a pay run's decision (issue #18, docs/rules.md#audit-trail). A decision is recorded
-- by the API and delivered later by the pay run's workflow, chunk by chunk; the PAYOUT_APPROVE audit records of the
-- delivery are written by a worker, so the address the API saw is stored with the decision and copied into each of
-- them. Null for decisions recorded before this column, and when the server could not tell the address.
ALTER TABLE pay_run_decisions ADD COLUMN client_ip inet;
