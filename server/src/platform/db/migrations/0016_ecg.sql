-- ECG centre and chest-pain centre (docs/ecg.md). The FHIR resources are the record (the tracing Observation with a
-- component per lead, measurement Observations, the original file in a DocumentReference, the chest-pain
-- EpisodeOfCare); these rows index them, written in the same transaction as the resources they describe.

-- Tracings received for a reading case (a new upload after a QC rejection adds a row; the latest is read).
CREATE TABLE ecg_tracing (
  tenant text NOT NULL,
  observation text NOT NULL,
  task_id text NOT NULL,
  document_reference text NOT NULL,
  format text NOT NULL,
  sample_rate double precision NOT NULL,
  seconds double precision NOT NULL,
  acquired_at timestamptz,
  uploaded_at timestamptz NOT NULL,
  -- {"qtc": "Observation/x", …}: the measurement Observations of this tracing (device or reader).
  measurements text NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant, observation)
);
CREATE INDEX ecg_tracing_task ON ecg_tracing (tenant, task_id, uploaded_at);

-- Chest-pain centre records (胸痛中心): one open record per resident; the EpisodeOfCare holds the time-line.
CREATE TABLE chest_pain_record (
  tenant text NOT NULL,
  id text NOT NULL,
  patient text NOT NULL,
  task_id text,
  report text,
  requester_org text,
  ecg_centre text,
  team_org text,
  status text NOT NULL,
  opened_at timestamptz NOT NULL,
  closed_at timestamptz,
  PRIMARY KEY (tenant, id)
);
CREATE UNIQUE INDEX chest_pain_record_open ON chest_pain_record (tenant, patient) WHERE status = 'active';
