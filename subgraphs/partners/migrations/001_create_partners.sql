-- The partners office's store: partners, their memberships of forums and organizations, and the
-- bodies through which organizations work.
CREATE TABLE partners.partner (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  name text NOT NULL,
  short_name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('COUNTRY', 'INTERGOVERNMENTAL_FORUM', 'INTERNATIONAL_ORGANIZATION')),
  region text NOT NULL,
  shares_land_border_with_us boolean NOT NULL DEFAULT false,
  home_party boolean NOT NULL DEFAULT false,
  source_document text NOT NULL,
  source_section text NOT NULL,
  source_basis text NOT NULL CHECK (source_basis IN ('STATED_IN_TEXT', 'PUBLIC_KNOWLEDGE'))
);
CREATE INDEX partner_kind_idx ON partners.partner (kind);
CREATE INDEX partner_region_idx ON partners.partner (region);
CREATE INDEX partner_land_border_idx ON partners.partner (shares_land_border_with_us) WHERE shares_land_border_with_us;
-- Only one partner can be the home party of every agreement.
CREATE UNIQUE INDEX partner_one_home_party_idx ON partners.partner (home_party) WHERE home_party;

CREATE TABLE partners.membership (
  organization_id text NOT NULL REFERENCES partners.partner (id),
  member_id text NOT NULL REFERENCES partners.partner (id),
  as_of_year int NOT NULL CHECK (as_of_year BETWEEN 1900 AND 2100),
  source_document text NOT NULL,
  source_section text NOT NULL,
  source_basis text NOT NULL CHECK (source_basis IN ('STATED_IN_TEXT', 'PUBLIC_KNOWLEDGE')),
  PRIMARY KEY (organization_id, member_id),
  CHECK (organization_id <> member_id)
);
CREATE INDEX membership_member_idx ON partners.membership (member_id);

CREATE TABLE partners.body (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  partner_id text NOT NULL REFERENCES partners.partner (id),
  name text NOT NULL,
  description text NOT NULL,
  advises_id text REFERENCES partners.body (id),
  source_document text NOT NULL,
  source_section text NOT NULL,
  source_basis text NOT NULL CHECK (source_basis IN ('STATED_IN_TEXT', 'PUBLIC_KNOWLEDGE'))
);
CREATE INDEX body_partner_idx ON partners.body (partner_id);
