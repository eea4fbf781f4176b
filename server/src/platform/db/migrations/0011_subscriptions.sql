-- FHIR R4 Subscriptions (docs/events.md): which notifications reached a rest-hook endpoint. An event may be offered
-- to the subscription handler more than once (a retry after another endpoint failed, a claim that expired); a
-- delivered (subscription, event) pair is not sent again. Rows older than a day are purged by the handler.
CREATE TABLE subscription_delivery (
  tenant text NOT NULL,
  subscription_id text NOT NULL,
  seq bigint NOT NULL,
  delivered_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, subscription_id, seq)
);
CREATE INDEX subscription_delivery_age ON subscription_delivery (delivered_at);
