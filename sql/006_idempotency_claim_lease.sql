-- Claims that expire. An Idempotency-Key row is taken by one request (claimed_by) until
-- lease_until; a request that finds an expired claim with no action takes it over atomically,
-- so an instance that dies between the claim and the stored action no longer leaves the key
-- answering 409 for its whole 24 h. Rows claimed before this migration have no holder and are
-- expired at once (now() is fixed when the column is added).
ALTER TABLE action_idempotency_keys
  ADD COLUMN claimed_by text,
  ADD COLUMN lease_until timestamptz NOT NULL DEFAULT now();

-- Webhook deliveries the same way: a delivery is claimed by id, handled, then marked handled. A
-- redelivery of one whose handler died (no handled_at, lease run out) is handled again instead
-- of being acknowledged and ignored. Deliveries recorded before this migration were handled.
ALTER TABLE webhook_deliveries
  ADD COLUMN claimed_by text,
  ADD COLUMN lease_until timestamptz,
  ADD COLUMN handled_at timestamptz;
UPDATE webhook_deliveries SET handled_at = received_at;
