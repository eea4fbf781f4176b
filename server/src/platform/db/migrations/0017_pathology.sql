-- Pathology centre (docs/pathology.md). The FHIR resources are the record (ServiceRequest, Specimen for each specimen,
-- block and slide, Media for each picture, Task, DiagnosticReport); these rows are the centre's index of them, written
-- in the same transaction as the resources they describe: what the lab's worklist, the report's checks (grossing done,
-- a slide cut) and the quality statistics (rejection rate, cold-ischaemia time) need without parsing every resource.
CREATE TABLE pathology_specimen (
  tenant text NOT NULL,
  specimen_id text NOT NULL,
  task_id text NOT NULL,
  -- specimen (sent by the requester) | block (取材) | slide (切片)
  kind text NOT NULL,
  parent text,
  label text NOT NULL,
  type_code text NOT NULL,
  item_code text,
  requester_org text,
  owner_org text NOT NULL,
  collected_at timestamptz,
  fixed_at timestamptz,
  cold_minutes double precision,
  over_limit boolean NOT NULL DEFAULT false,
  -- sent | received | rejected (specimens); made (blocks and slides)
  status text NOT NULL,
  received_at timestamptz,
  rejected_at timestamptz,
  reject_reason text,
  grossed_at timestamptz,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, specimen_id)
);
CREATE INDEX pathology_specimen_task ON pathology_specimen (tenant, task_id);
CREATE INDEX pathology_specimen_arrived ON pathology_specimen (tenant, owner_org, (coalesce(received_at, rejected_at))) WHERE kind = 'specimen';

-- Pictures of a case (gross and microscopic photographs, FHIR Media) and whether the pathologist put them in the report.
CREATE TABLE pathology_picture (
  tenant text NOT NULL,
  media_id text NOT NULL,
  task_id text NOT NULL,
  specimen_id text,
  kind text NOT NULL,
  title text NOT NULL,
  content_type text NOT NULL,
  size integer NOT NULL,
  in_report boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, media_id)
);
CREATE INDEX pathology_picture_task ON pathology_picture (tenant, task_id, created_at);
