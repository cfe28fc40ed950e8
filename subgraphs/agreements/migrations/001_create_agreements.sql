-- The agreements office's store: agreements, their parties, and the threat focus areas and sectors
-- they cover. Partner, sector and focus-area ids belong to other offices: they are kept as plain text,
-- with no foreign key, since no office reads another's tables.
CREATE TABLE agreements.agreement (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  title text NOT NULL,
  short_title text,
  kind text NOT NULL CHECK (kind IN ('DECLARATION', 'PARTNERSHIP', 'CONTACT_GROUP', 'STATEMENT', 'COMMITTEE')),
  scope text NOT NULL CHECK (scope IN ('BILATERAL', 'TRILATERAL', 'MULTILATERAL')),
  signed_year int CHECK (signed_year BETWEEN 1900 AND 2100),
  signed_month int CHECK (signed_month BETWEEN 1 AND 12),
  purpose text NOT NULL,
  source_document text NOT NULL,
  source_section text NOT NULL,
  source_basis text NOT NULL CHECK (source_basis IN ('STATED_IN_TEXT', 'PUBLIC_KNOWLEDGE')),
  -- A month without its year is no date anyone can write.
  CHECK (signed_month IS NULL OR signed_year IS NOT NULL)
);
CREATE INDEX agreement_signed_year_idx ON agreements.agreement (signed_year);
CREATE INDEX agreement_kind_idx ON agreements.agreement (kind);

CREATE TABLE agreements.agreement_party (
  agreement_id text NOT NULL REFERENCES agreements.agreement (id),
  partner_id text NOT NULL,
  PRIMARY KEY (agreement_id, partner_id)
);
CREATE INDEX agreement_party_partner_idx ON agreements.agreement_party (partner_id);

CREATE TABLE agreements.agreement_threat_focus_area (
  agreement_id text NOT NULL REFERENCES agreements.agreement (id),
  threat_focus_area_id text NOT NULL,
  PRIMARY KEY (agreement_id, threat_focus_area_id)
);
CREATE INDEX agreement_threat_focus_area_focus_area_idx ON agreements.agreement_threat_focus_area (threat_focus_area_id);

CREATE TABLE agreements.agreement_sector (
  agreement_id text NOT NULL REFERENCES agreements.agreement (id),
  sector_id text NOT NULL,
  PRIMARY KEY (agreement_id, sector_id)
);
CREATE INDEX agreement_sector_sector_idx ON agreements.agreement_sector (sector_id);
