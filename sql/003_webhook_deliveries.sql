-- Provider webhook deliveries already handled, by the provider's delivery id, so a redelivered
-- or replayed one is ignored. Pruned after 7 days (providers retry for hours, not days).
CREATE TABLE webhook_deliveries (
  provider text NOT NULL,
  delivery_id text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, delivery_id)
);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);
