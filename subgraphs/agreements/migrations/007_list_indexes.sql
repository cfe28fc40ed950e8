-- Indexes for the agreement lists at scale (bench/RESULTS.md, "The offices"). Sort keys are
-- compared byte-wise (COLLATE "C", pagination.ts), so only an index COLLATE "C" serves a page as a
-- range scan that stops after the page (keyset pagination) instead of sorting every match.
-- The agreements in use, by id: the list's pages, whatever the filter.
CREATE INDEX agreement_in_use_id_idx ON agreements.agreement (id COLLATE "C") WHERE archived_at IS NULL;
-- The few archived agreements: a count over a link's index subtracts their links (agreements.ts).
CREATE INDEX agreement_archived_idx ON agreements.agreement (id) WHERE archived_at IS NOT NULL;
-- The agreements in use signed since a year, counted from the index alone.
CREATE INDEX agreement_in_use_signed_year_idx ON agreements.agreement (signed_year) WHERE archived_at IS NULL;
-- Each record's agreements in id order: a partner's, a focus area's or a sector's page of
-- agreements, and their count, from the link's index. Each replaces the index on its first column alone.
CREATE INDEX agreement_party_partner_agreement_idx ON agreements.agreement_party (partner_id, agreement_id COLLATE "C");
DROP INDEX agreements.agreement_party_partner_idx;
CREATE INDEX agreement_threat_focus_area_agreement_idx
  ON agreements.agreement_threat_focus_area (threat_focus_area_id, agreement_id COLLATE "C");
DROP INDEX agreements.agreement_threat_focus_area_focus_area_idx;
CREATE INDEX agreement_sector_agreement_idx ON agreements.agreement_sector (sector_id, agreement_id COLLATE "C");
DROP INDEX agreements.agreement_sector_sector_idx;
