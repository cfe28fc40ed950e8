-- The threat-focus-areas office's store: the threats and issues international cooperation addresses,
-- and the sectors each one touches. Agreements and sectors belong to other offices, so their ids are
-- kept here as plain references, without foreign keys.
CREATE TABLE threat_focus_areas.threat_focus_area (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  name text NOT NULL,
  description text NOT NULL,
  category text NOT NULL CHECK (category IN ('COUNTER_TERRORISM', 'CROSS_SECTOR', 'GLOBAL_INFRASTRUCTURE')),
  origin_statement text NOT NULL,
  -- The agreements office's id of the agreement that names the focus area, when one does.
  origin_agreement_id text CHECK (origin_agreement_id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  source_document text NOT NULL,
  source_section text NOT NULL,
  source_basis text NOT NULL CHECK (source_basis IN ('STATED_IN_TEXT', 'PUBLIC_KNOWLEDGE'))
);
CREATE INDEX threat_focus_area_category_idx ON threat_focus_areas.threat_focus_area (category);

CREATE TABLE threat_focus_areas.affected_sector (
  threat_focus_area_id text NOT NULL REFERENCES threat_focus_areas.threat_focus_area (id),
  -- The sectors office's id.
  sector_id text NOT NULL CHECK (sector_id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  PRIMARY KEY (threat_focus_area_id, sector_id)
);
-- A sector's focus areas are read by sector: the primary key only serves the other direction.
CREATE INDEX affected_sector_sector_idx ON threat_focus_areas.affected_sector (sector_id);
