-- The resident master index (EMPI): golden records (persons) and the Patient records they link, the review
-- queue of uncertain pairs, and the merge log. Golden records live here rather than as FHIR rows: they are
-- derived from the Patient records, and are served as FHIR Person resources (see docs/resident-index.md).
-- No demographic values are stored here: a golden record's summary is computed from its linked records.

CREATE TABLE empi_person (
  tenant text NOT NULL,
  id text NOT NULL,
  version integer NOT NULL,
  last_updated timestamptz NOT NULL,
  active boolean NOT NULL DEFAULT true,
  PRIMARY KEY (tenant, id)
);

-- Every version of a person: its link set as JSON ([{"patient": id, "assurance": "level4"}]) and why it changed.
CREATE TABLE empi_person_history (
  tenant text NOT NULL,
  id text NOT NULL,
  version integer NOT NULL,
  last_updated timestamptz NOT NULL,
  active boolean NOT NULL,
  links text NOT NULL,
  reason text NOT NULL,
  PRIMARY KEY (tenant, id, version)
);

-- Phonetic blocking keys of each Patient record (pinyin of the name parts with the birth date, year, month/day
-- or village; see identity/matching/blocking.ts): what the store's search cannot find (homophone characters,
-- Latin spellings, swapped name order). Stored as short truncated hashes (22 bits): many names and dates share
-- each value, so the table does not reveal who is in it; a few extra candidates per write are scored away.
CREATE TABLE empi_block (
  tenant text NOT NULL,
  patient_id text NOT NULL,
  key integer NOT NULL
);
CREATE INDEX empi_block_key ON empi_block (tenant, key);
CREATE INDEX empi_block_patient ON empi_block (tenant, patient_id);

-- One golden record per Patient record.
CREATE TABLE empi_link (
  tenant text NOT NULL,
  patient_id text NOT NULL,
  person_id text NOT NULL,
  assurance text NOT NULL CHECK (assurance IN ('level1', 'level2', 'level3', 'level4')),
  linked_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, patient_id)
);
CREATE INDEX empi_link_person ON empi_link (tenant, person_id);

-- Pairs the rules could not decide (and the decisions on them). patient_a < patient_b: one row per pair.
-- features: per-feature level and weight, as scored (no values: the comparison shows the records as they are).
CREATE TABLE empi_review (
  tenant text NOT NULL,
  id text NOT NULL,
  patient_a text NOT NULL,
  patient_b text NOT NULL,
  score double precision NOT NULL,
  features text NOT NULL,
  rules_version text NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'linked', 'distinct', 'withdrawn')),
  created_at timestamptz NOT NULL,
  decided_by text,
  decided_at timestamptz,
  reason text,
  PRIMARY KEY (tenant, id)
);
CREATE UNIQUE INDEX empi_review_pair ON empi_review (tenant, patient_a, patient_b);
CREATE INDEX empi_review_b ON empi_review (tenant, patient_b);
CREATE INDEX empi_review_open ON empi_review (tenant, created_at) WHERE status = 'open';

-- Merges and unmerges: what a merge changed (resources re-pointed, golden records combined), so an unmerge
-- can put it back. The resources' own history keeps every version.
CREATE TABLE empi_merge (
  tenant text NOT NULL,
  id text NOT NULL,
  source_id text NOT NULL,
  target_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('merged', 'unmerged')),
  reason text,
  merged_at timestamptz NOT NULL,
  merged_by text,
  unmerged_at timestamptz,
  unmerged_by text,
  unmerge_reason text,
  record text NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX empi_merge_pair ON empi_merge (tenant, source_id, target_id);
