-- The sectors office's store: the CI/KR sectors, their sector-specific agencies, and the
-- dependencies between sectors.
CREATE TABLE sectors.sector (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  name text NOT NULL,
  source_document text NOT NULL,
  source_section text NOT NULL,
  source_basis text NOT NULL CHECK (source_basis IN ('STATED_IN_TEXT', 'PUBLIC_KNOWLEDGE'))
);

CREATE TABLE sectors.agency (
  abbreviation text PRIMARY KEY,
  name text NOT NULL
);

-- An agency can lead a sector only in part (the Coast Guard leads maritime transportation), and the
-- plan lists a sector's agencies in a meaningful order, kept by position.
CREATE TABLE sectors.sector_agency (
  sector_id text NOT NULL REFERENCES sectors.sector (id),
  abbreviation text NOT NULL REFERENCES sectors.agency (abbreviation),
  scope text,
  position int NOT NULL CHECK (position >= 1),
  PRIMARY KEY (sector_id, abbreviation),
  UNIQUE (sector_id, position)
);
CREATE INDEX sector_agency_abbreviation_idx ON sectors.sector_agency (abbreviation);

-- dependent_id depends on dependency_id: a disruption in dependency_id can reach dependent_id.
-- The degree is null unless a source gives one.
CREATE TABLE sectors.dependency (
  dependent_id text NOT NULL REFERENCES sectors.sector (id),
  dependency_id text NOT NULL REFERENCES sectors.sector (id),
  degree text CHECK (degree IN ('LOW', 'MODERATE', 'HIGH')),
  source_document text NOT NULL,
  source_section text NOT NULL,
  source_basis text NOT NULL CHECK (source_basis IN ('STATED_IN_TEXT', 'PUBLIC_KNOWLEDGE')),
  PRIMARY KEY (dependent_id, dependency_id),
  CHECK (dependent_id <> dependency_id)
);
CREATE INDEX dependency_dependency_idx ON sectors.dependency (dependency_id);
