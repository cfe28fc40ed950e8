-- Seed: exactly the focus areas of shared/domain.md, each with its source. The G8 statement is the
-- one agreement that names focus areas; the strategy bullets and opening paragraphs are not agreements.
INSERT INTO threat_focus_areas.threat_focus_area (id, name, description, category, origin_statement, origin_agreement_id, source_document, source_section, source_basis) VALUES
  ('terrorist-movement-information-sharing', 'Information sharing on terrorist movement across borders', 'To improve the sharing of information on the movement of terrorists across international borders.', 'COUNTER_TERRORISM', 'G8 Statement on Counter-Terrorism (July 2005)', 'g8-counter-terrorism-statement', 'National Infrastructure Protection Plan (2006)', 'Key partners: Group of Eight', 'STATED_IN_TEXT'),
  ('transportation-infrastructure-threat', 'Threat to transportation infrastructure', 'To assess and address the threat to the transportation infrastructure.', 'COUNTER_TERRORISM', 'G8 Statement on Counter-Terrorism (July 2005)', 'g8-counter-terrorism-statement', 'National Infrastructure Protection Plan (2006)', 'Key partners: Group of Eight', 'STATED_IN_TEXT'),
  ('rail-and-metro-security', 'Rail and metro security', 'To promote best practices for rail and metro security.', 'COUNTER_TERRORISM', 'G8 Statement on Counter-Terrorism (July 2005)', 'g8-counter-terrorism-statement', 'National Infrastructure Protection Plan (2006)', 'Key partners: Group of Eight', 'STATED_IN_TEXT'),
  ('cyber-security', 'Cyber security', 'A cross-sector and global issue the NIPP strategy for international CI/KR protection addresses.', 'CROSS_SECTOR', 'NIPP strategy for international CI/KR protection: cross-sector and global issues', NULL, 'National Infrastructure Protection Plan (2006)', 'International CI/KR protection strategy', 'STATED_IN_TEXT'),
  ('foreign-investment', 'Foreign investment', 'A cross-sector and global issue the NIPP strategy for international CI/KR protection addresses.', 'CROSS_SECTOR', 'NIPP strategy for international CI/KR protection: cross-sector and global issues', NULL, 'National Infrastructure Protection Plan (2006)', 'International CI/KR protection strategy', 'STATED_IN_TEXT'),
  ('cross-border-ci-kr', 'Cross-border CI/KR', 'CI/KR assets, systems and networks that cross national borders, which the NIPP and sector-specific plans must consider.', 'GLOBAL_INFRASTRUCTURE', 'NIPP: international CI/KR protection, opening paragraphs', NULL, 'National Infrastructure Protection Plan (2006)', 'International CI/KR protection: global dependencies and interdependencies', 'STATED_IN_TEXT'),
  ('international-vulnerabilities', 'International vulnerabilities', 'Vulnerabilities that the global infrastructure brings to U.S. CI/KR, which the NIPP and sector-specific plans must consider.', 'GLOBAL_INFRASTRUCTURE', 'NIPP: international CI/KR protection, opening paragraphs', NULL, 'National Infrastructure Protection Plan (2006)', 'International CI/KR protection: global dependencies and interdependencies', 'STATED_IN_TEXT'),
  ('global-interdependencies', 'Global dependencies and interdependencies', 'The dependencies of U.S. CI/KR on global energy, transportation, communications and information technology, through which disruptions can cascade around the world.', 'GLOBAL_INFRASTRUCTURE', 'NIPP: international CI/KR protection, opening paragraphs', NULL, 'National Infrastructure Protection Plan (2006)', 'International CI/KR protection: global dependencies and interdependencies', 'STATED_IN_TEXT');

-- The G8's three focus areas are all about moving people and goods: transportation systems.
INSERT INTO threat_focus_areas.affected_sector (threat_focus_area_id, sector_id) VALUES
  ('terrorist-movement-information-sharing', 'transportation-systems'),
  ('transportation-infrastructure-threat', 'transportation-systems'),
  ('rail-and-metro-security', 'transportation-systems');

-- The text calls cyber security and foreign investment cross-sector and names no sector: all 17.
INSERT INTO threat_focus_areas.affected_sector (threat_focus_area_id, sector_id)
SELECT focus_area.id, sector.id
FROM (VALUES ('cyber-security'), ('foreign-investment')) AS focus_area (id)
CROSS JOIN (VALUES
  ('agriculture-and-food'), ('banking-and-finance'), ('chemical'), ('commercial-facilities'),
  ('commercial-nuclear-reactors-materials-and-waste'), ('dams'), ('defense-industrial-base'),
  ('drinking-water-and-water-treatment-systems'), ('emergency-services'), ('energy'), ('government-facilities'),
  ('information-technology'), ('national-monuments-and-icons'), ('postal-and-shipping'),
  ('public-health-and-healthcare'), ('telecommunications'), ('transportation-systems')
) AS sector (id);

-- The opening paragraphs tie the global infrastructure to global energy, transportation,
-- communications and information technology: the four global sectors.
INSERT INTO threat_focus_areas.affected_sector (threat_focus_area_id, sector_id)
SELECT focus_area.id, sector.id
FROM (VALUES ('cross-border-ci-kr'), ('international-vulnerabilities'), ('global-interdependencies')) AS focus_area (id)
CROSS JOIN (VALUES ('energy'), ('transportation-systems'), ('telecommunications'), ('information-technology')) AS sector (id);
