-- The office's assessment of a focus area: restricted data (see schema.graphql). No real assessment
-- is known to this system, so the seed holds fictional placeholders only, marked
-- FICTIONAL_PLACEHOLDER in their source; focus areas without one answer null.
CREATE TABLE threat_focus_areas.assessment (
  threat_focus_area_id text PRIMARY KEY REFERENCES threat_focus_areas.threat_focus_area (id),
  text text NOT NULL,
  source_document text NOT NULL,
  source_section text NOT NULL,
  source_basis text NOT NULL CHECK (source_basis IN ('STATED_IN_TEXT', 'PUBLIC_KNOWLEDGE', 'FICTIONAL_PLACEHOLDER'))
);

INSERT INTO threat_focus_areas.assessment (threat_focus_area_id, text, source_document, source_section, source_basis) VALUES
  ('cyber-security', '[Fictional placeholder] Assessment text for access-control demonstration; not a real assessment.', 'Fictional placeholder data', 'Access-control demonstration', 'FICTIONAL_PLACEHOLDER'),
  ('rail-and-metro-security', '[Fictional placeholder] Assessment text for access-control demonstration; not a real assessment.', 'Fictional placeholder data', 'Access-control demonstration', 'FICTIONAL_PLACEHOLDER');
