-- The end-to-end benchmark's data set: 5,000 partners and 50,000 agreements on top of the seed,
-- over every seeded sector and threat focus area. Deterministic (no random()): every choice is a
-- function of the row number, so every run and every machine holds the same rows. Loaded by
-- bench/lib/backend.mjs into a scratch database only, never into the seed migrations.
BEGIN;

-- Partners p-00001..p-05000: every 50th an international organization, every 25th (otherwise) a
-- forum, the rest countries; about 2% share a land border.
INSERT INTO partners.partner (id, name, short_name, kind, region, shares_land_border_with_us, home_party,
                              source_document, source_section, source_basis)
SELECT 'p-' || lpad(i::text, 5, '0'),
       'Generated Partner ' || i || ' of the ' || (ARRAY['Northern', 'Southern', 'Eastern', 'Western', 'Central'])[1 + i % 5] || ' Cooperation Area',
       'GP' || i,
       CASE WHEN i % 50 = 0 THEN 'INTERNATIONAL_ORGANIZATION' WHEN i % 25 = 0 THEN 'INTERGOVERNMENTAL_FORUM' ELSE 'COUNTRY' END,
       (ARRAY['Europe', 'Asia', 'Africa', 'North America', 'South America', 'Oceania', 'global'])[1 + i % 7],
       i % 50 = 7,
       false,
       'Benchmark data set', 'Generated partner ' || i, 'PUBLIC_KNOWLEDGE'
FROM generate_series(1, 5000) AS i;

-- Each organization or forum (200 of them) has 20 member countries.
INSERT INTO partners.membership (organization_id, member_id, as_of_year, source_document, source_section, source_basis)
SELECT DISTINCT ON (o, m)
       'p-' || lpad(o::text, 5, '0'), 'p-' || lpad(m::text, 5, '0'), 1990 + o % 30,
       'Benchmark data set', 'Generated membership', 'PUBLIC_KNOWLEDGE'
FROM generate_series(25, 5000, 25) AS o,
     LATERAL (SELECT ((o * 37 + k * 241) % 5000) + 1 AS m FROM generate_series(1, 20) AS k) AS members
WHERE m % 25 <> 0;

-- Each organization (100) works through three bodies, the second and third advising the first.
INSERT INTO partners.body (id, partner_id, name, description, advises_id, source_document, source_section, source_basis)
SELECT 'b-' || lpad(o::text, 5, '0') || '-' || k, 'p-' || lpad(o::text, 5, '0'),
       'Generated Body ' || k || ' of Partner ' || o,
       'A generated body that coordinates planning for partner ' || o || '.',
       CASE WHEN k = 1 THEN NULL ELSE 'b-' || lpad(o::text, 5, '0') || '-1' END,
       'Benchmark data set', 'Generated body', 'PUBLIC_KNOWLEDGE'
FROM generate_series(50, 5000, 50) AS o, generate_series(1, 3) AS k
ORDER BY k;

-- Agreements a-000001..a-050000: the United States and one to three generated partners, one to
-- three sectors, one or two focus areas, signed between 1950 and 2019 (every 10th of unknown date).
INSERT INTO agreements.agreement (id, title, short_title, kind, scope, signed_year, signed_month, purpose,
                                  source_document, source_section, source_basis)
SELECT 'a-' || lpad(i::text, 6, '0'),
       'Generated Agreement ' || i || ' on Critical Infrastructure Cooperation',
       CASE WHEN i % 3 = 0 THEN 'GA' || i END,
       (ARRAY['DECLARATION', 'PARTNERSHIP', 'CONTACT_GROUP', 'STATEMENT', 'COMMITTEE'])[1 + i % 5],
       (ARRAY['BILATERAL', 'TRILATERAL', 'MULTILATERAL'])[1 + i % 3],
       CASE WHEN i % 10 = 0 THEN NULL ELSE 1950 + i % 70 END,
       CASE WHEN i % 10 = 0 OR i % 4 = 0 THEN NULL ELSE 1 + i % 12 END,
       'To protect shared critical infrastructure and to coordinate planning, exercise ' || i || '.',
       'Benchmark data set', 'Generated agreement ' || i, 'PUBLIC_KNOWLEDGE'
FROM generate_series(1, 50000) AS i;

INSERT INTO agreements.agreement_party (agreement_id, partner_id)
SELECT 'a-' || lpad(i::text, 6, '0'), 'united-states' FROM generate_series(1, 50000) AS i
UNION
SELECT 'a-' || lpad(i::text, 6, '0'), 'p-' || lpad((((i * 7919 + k * 104729) % 5000) + 1)::text, 5, '0')
FROM generate_series(1, 50000) AS i, generate_series(1, 3) AS k
WHERE k <= 1 + i % 3;

WITH sector AS (SELECT array_agg(id ORDER BY id) AS ids FROM sectors.sector)
INSERT INTO agreements.agreement_sector (agreement_id, sector_id)
SELECT DISTINCT 'a-' || lpad(i::text, 6, '0'), sector.ids[1 + (i * 13 + k * 5) % array_length(sector.ids, 1)]
FROM sector, generate_series(1, 50000) AS i, generate_series(1, 3) AS k
WHERE k <= 1 + i % 3;

WITH area AS (SELECT array_agg(id ORDER BY id) AS ids FROM threat_focus_areas.threat_focus_area)
INSERT INTO agreements.agreement_threat_focus_area (agreement_id, threat_focus_area_id)
SELECT DISTINCT 'a-' || lpad(i::text, 6, '0'), area.ids[1 + (i * 11 + k * 3) % array_length(area.ids, 1)]
FROM area, generate_series(1, 50000) AS i, generate_series(1, 2) AS k
WHERE k <= 1 + i % 2;

COMMIT;
ANALYZE;
