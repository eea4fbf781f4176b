-- Flag status and category as search parameters (platform/fhir/custom-params.ts), so that open alerts such as critical
-- values are a plain FHIR search: Flag?status=active&category=critical-value (docs/critical-values.md).
-- Flags written before this migration get their values when they are next written.
ALTER TABLE "Flag" ADD COLUMN p_status text[];
ALTER TABLE "Flag" ADD COLUMN p_status_text text[];
ALTER TABLE "Flag" ADD COLUMN p_category text[];
ALTER TABLE "Flag" ADD COLUMN p_category_text text[];
CREATE INDEX "flag_p_status_idx" ON "Flag" USING gin (p_status) WITH (fastupdate = off) WHERE p_status IS NOT NULL;
CREATE INDEX "flag_p_category_idx" ON "Flag" USING gin (p_category) WITH (fastupdate = off) WHERE p_category IS NOT NULL;
