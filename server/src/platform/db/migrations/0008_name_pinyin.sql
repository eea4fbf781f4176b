-- name-pinyin (platform/fhir/custom-params.ts): its values live in search_string like every string parameter;
-- the resource tables only need the _sort column. Rows written before this migration get their pinyin when
-- they are next written (see docs/fhir-api.md).
ALTER TABLE "Patient" ADD COLUMN p_name_pinyin_sort text;
ALTER TABLE "Practitioner" ADD COLUMN p_name_pinyin_sort text;
