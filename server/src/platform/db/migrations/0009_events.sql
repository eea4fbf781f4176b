-- Events, scheduled jobs and notifications (docs/events.md).

-- Transactional outbox: one row per committed write of a resource, written in the write's own transaction, so an
-- event exists if and only if the write committed. The dispatcher claims rows (claimed_until), delivers them to the
-- module handlers (or publishes them to NATS JetStream) and deletes them. A process that dies with a claim lets it
-- expire, and another process delivers the rows again: delivery is at least once and handlers are idempotent.
CREATE TABLE event_outbox (
  seq bigserial PRIMARY KEY,
  tenant text NOT NULL,
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  version integer NOT NULL,
  action text NOT NULL CHECK (action IN ('create', 'update', 'delete')),
  occurred_at timestamptz NOT NULL DEFAULT now(),
  claimed_until timestamptz
);
CREATE INDEX event_outbox_claim ON event_outbox (claimed_until, seq);

-- Deliveries that failed: retried with exponential backoff, then kept as dead letters (status 'dead') for an
-- administrator to look at and retry. One row per (handler, event).
CREATE TABLE event_delivery (
  handler text NOT NULL,
  seq bigint NOT NULL,
  tenant text NOT NULL,
  event jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('retry', 'dead')),
  attempts integer NOT NULL,
  next_attempt_at timestamptz NOT NULL,
  last_error text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  claimed_until timestamptz,
  PRIMARY KEY (handler, seq)
);
CREATE INDEX event_delivery_due ON event_delivery (status, next_attempt_at);

-- Timed jobs (escalations, reminders). The key makes scheduling idempotent: the same job scheduled twice is one row.
-- A job is claimed before it runs and marked done after, so a restart neither misses nor doubles it.
CREATE TABLE scheduled_job (
  tenant text NOT NULL,
  key text NOT NULL,
  kind text NOT NULL,
  run_at timestamptz NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  claimed_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  done_at timestamptz,
  PRIMARY KEY (tenant, key)
);
CREATE INDEX scheduled_job_due ON scheduled_job (run_at) WHERE status = 'pending';

-- In-app notifications (站内消息): one row per recipient, with its read status and each outbound delivery.
-- recipient is 'Practitioner/<id>', 'Patient/<id>' or 'user:<user id>'.
CREATE TABLE notification (
  tenant text NOT NULL,
  id text NOT NULL,
  recipient text NOT NULL,
  category text NOT NULL,
  priority text NOT NULL DEFAULT 'routine' CHECK (priority IN ('routine', 'urgent', 'asap', 'stat')),
  title text NOT NULL,
  body text NOT NULL DEFAULT '',
  link text,
  focus text,
  patient text,
  dedup_key text,
  created_at timestamptz NOT NULL DEFAULT now(),
  read_at timestamptz,
  deliveries jsonb NOT NULL DEFAULT '[]',
  PRIMARY KEY (tenant, id)
);
CREATE INDEX notification_inbox ON notification (tenant, recipient, created_at DESC);
CREATE INDEX notification_unread ON notification (tenant, recipient) WHERE read_at IS NULL;
CREATE UNIQUE INDEX notification_dedup ON notification (tenant, recipient, dedup_key) WHERE dedup_key IS NOT NULL;
