-- HL7 v2 message log: every message received over MLLP or HTTP (and every replay), with its outcome.
-- The raw message holds ID numbers and phone numbers, so `raw` is SM4-encrypted (crypto/field.ts,
-- context 'hl7_message/<tenant>/<id>'); everything else is header data and outcome.
CREATE TABLE hl7_message (
  tenant text NOT NULL,
  id text NOT NULL,
  received_at timestamptz NOT NULL,
  -- MSH-3 / MSH-4 (first component); `sender` = '<MSH-3>|<MSH-4>' is the idempotency scope of MSH-10.
  sending_application text NOT NULL DEFAULT '',
  sending_facility text NOT NULL DEFAULT '',
  sender text NOT NULL,
  control_id text NOT NULL DEFAULT '',
  -- e.g. 'ORU^R01' ('' when the header could not be read)
  message_type text NOT NULL DEFAULT '',
  version text NOT NULL DEFAULT '',
  transport text NOT NULL CHECK (transport IN ('mllp', 'http', 'replay')),
  -- MLLP / HTTP: remote address; replay: who asked for it
  peer text,
  outcome text NOT NULL CHECK (outcome IN ('AA', 'AE', 'AR')),
  -- An earlier accepted message with the same sender and control id (this one was not applied again).
  duplicate_of text,
  -- The logged message this row re-processed.
  replay_of text,
  -- [{ code, severity, message, location }] as sent in the ERR segments (warnings included)
  errors jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- ['Patient/…', …] written by this message, with what happened to each
  resources jsonb NOT NULL DEFAULT '[]'::jsonb,
  ack text NOT NULL,
  charset text NOT NULL DEFAULT '',
  size integer NOT NULL,
  raw text NOT NULL,
  duration_ms double precision,
  PRIMARY KEY (tenant, id)
);

-- Idempotency: the accepted message of a sender and control id.
CREATE INDEX hl7_message_accepted ON hl7_message (tenant, sender, control_id, received_at)
  WHERE outcome = 'AA' AND duplicate_of IS NULL;
-- The admin list: newest first.
CREATE INDEX hl7_message_received ON hl7_message (tenant, received_at DESC, id DESC);
