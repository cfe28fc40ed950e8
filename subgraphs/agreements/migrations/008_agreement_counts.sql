-- How many agreements in use each partner, focus area and sector has, and how many were signed each
-- year: the lists' totalCount read from a row instead of counted over thousands of index entries
-- (on the embedded PGlite a count of 20,000 entries costs 10-15 ms; bench/RESULTS.md, "The offices").
-- Kept by statement-level triggers on every write, whatever writes (the graph, a bulk import, SQL),
-- so the counts are exact and commit or roll back with the rows they count. Archived agreements
-- count nowhere. Counter rows are always locked in the same order (year, then links by link and
-- record id), so two writers can wait for each other but never deadlock.
CREATE TABLE agreements.linked_agreement_count (
  link text NOT NULL CHECK (link IN ('party', 'threat_focus_area', 'sector')),
  record_id text NOT NULL,
  total int NOT NULL,
  PRIMARY KEY (link, record_id)
);
-- Undated agreements are counted under year 0, which no year filter reaches.
CREATE TABLE agreements.agreement_year_count (
  signed_year int PRIMARY KEY,
  total int NOT NULL
);

INSERT INTO agreements.agreement_year_count (signed_year, total)
SELECT COALESCE(signed_year, 0), count(*) FROM agreements.agreement WHERE archived_at IS NULL GROUP BY 1;
INSERT INTO agreements.linked_agreement_count (link, record_id, total)
SELECT link, record_id, count(*) FROM (
  SELECT 'party' AS link, l.partner_id AS record_id, l.agreement_id FROM agreements.agreement_party l
  UNION ALL SELECT 'threat_focus_area', l.threat_focus_area_id, l.agreement_id FROM agreements.agreement_threat_focus_area l
  UNION ALL SELECT 'sector', l.sector_id, l.agreement_id FROM agreements.agreement_sector l
) links JOIN agreements.agreement a ON a.id = links.agreement_id
WHERE a.archived_at IS NULL GROUP BY 1, 2;

-- The statements that add signed deltas, rows of (link, record_id, delta) or (signed_year, delta)
-- from the query `changes`, in lock order. Text, run by the trigger functions themselves: a
-- trigger's transition tables (`added`, `removed`) are visible to its own statements only.
CREATE FUNCTION agreements.add_linked_agreement_counts(changes text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT format(
    'INSERT INTO agreements.linked_agreement_count AS c (link, record_id, total)
     SELECT link, record_id, sum(delta) FROM (%s) changes GROUP BY 1, 2 HAVING sum(delta) <> 0 ORDER BY 1, 2
     ON CONFLICT (link, record_id) DO UPDATE SET total = c.total + EXCLUDED.total', changes)
$$;

CREATE FUNCTION agreements.add_agreement_year_counts(changes text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT format(
    'INSERT INTO agreements.agreement_year_count AS c (signed_year, total)
     SELECT signed_year, sum(delta) FROM (%s) changes GROUP BY 1 HAVING sum(delta) <> 0 ORDER BY 1
     ON CONFLICT (signed_year) DO UPDATE SET total = c.total + EXCLUDED.total', changes)
$$;

-- A link table's trigger: TG_ARGV[0] the link's name, TG_ARGV[1] its record column. Links of
-- archived agreements count nowhere.
CREATE FUNCTION agreements.count_links() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  rows_of text := format('SELECT %L AS link, l.%I AS record_id, %%s AS delta FROM %%I l
    JOIN agreements.agreement a ON a.id = l.agreement_id WHERE a.archived_at IS NULL', TG_ARGV[0], TG_ARGV[1]);
BEGIN
  IF TG_OP = 'INSERT' THEN
    EXECUTE agreements.add_linked_agreement_counts(format(rows_of, '1', 'added'));
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE agreements.add_linked_agreement_counts(format(rows_of, '-1', 'removed'));
  ELSE
    EXECUTE agreements.add_linked_agreement_counts(
      format(rows_of, '1', 'added') || ' UNION ALL ' || format(rows_of, '-1', 'removed'));
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER agreement_party_counted_on_insert AFTER INSERT ON agreements.agreement_party
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION agreements.count_links('party', 'partner_id');
CREATE TRIGGER agreement_party_counted_on_update AFTER UPDATE ON agreements.agreement_party
  REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION agreements.count_links('party', 'partner_id');
CREATE TRIGGER agreement_party_counted_on_delete AFTER DELETE ON agreements.agreement_party
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION agreements.count_links('party', 'partner_id');
CREATE TRIGGER agreement_threat_focus_area_counted_on_insert AFTER INSERT ON agreements.agreement_threat_focus_area
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT
  EXECUTE FUNCTION agreements.count_links('threat_focus_area', 'threat_focus_area_id');
CREATE TRIGGER agreement_threat_focus_area_counted_on_update AFTER UPDATE ON agreements.agreement_threat_focus_area
  REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT
  EXECUTE FUNCTION agreements.count_links('threat_focus_area', 'threat_focus_area_id');
CREATE TRIGGER agreement_threat_focus_area_counted_on_delete AFTER DELETE ON agreements.agreement_threat_focus_area
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
  EXECUTE FUNCTION agreements.count_links('threat_focus_area', 'threat_focus_area_id');
CREATE TRIGGER agreement_sector_counted_on_insert AFTER INSERT ON agreements.agreement_sector
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION agreements.count_links('sector', 'sector_id');
CREATE TRIGGER agreement_sector_counted_on_update AFTER UPDATE ON agreements.agreement_sector
  REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION agreements.count_links('sector', 'sector_id');
CREATE TRIGGER agreement_sector_counted_on_delete AFTER DELETE ON agreements.agreement_sector
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION agreements.count_links('sector', 'sector_id');

-- The agreement table's trigger: its year's count, and when an agreement is archived or taken back
-- into use, the counts of everything it links.
CREATE FUNCTION agreements.count_agreements() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  in_use text := 'SELECT COALESCE(a.signed_year, 0) AS signed_year, %s AS delta FROM %I a WHERE a.archived_at IS NULL';
  links text := '';
BEGIN
  IF TG_OP = 'INSERT' THEN
    EXECUTE agreements.add_agreement_year_counts(format(in_use, '1', 'added'));
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE agreements.add_agreement_year_counts(format(in_use, '-1', 'removed'));
  ELSE
    EXECUTE agreements.add_agreement_year_counts(
      format(in_use, '1', 'added') || ' UNION ALL ' || format(in_use, '-1', 'removed'));
    -- +1 for each link of an agreement taken into use, -1 for one archived (links of agreements
    -- inserted or deleted are counted by the link tables' own triggers).
    links := 'SELECT changed.delta, l.* FROM (
        SELECT n.id, CASE WHEN n.archived_at IS NULL THEN 1 ELSE -1 END AS delta
        FROM added n JOIN removed o ON o.id = n.id WHERE (n.archived_at IS NULL) <> (o.archived_at IS NULL)
      ) changed CROSS JOIN LATERAL (
        SELECT ''party'' AS link, p.partner_id AS record_id FROM agreements.agreement_party p WHERE p.agreement_id = changed.id
        UNION ALL SELECT ''threat_focus_area'', f.threat_focus_area_id FROM agreements.agreement_threat_focus_area f
          WHERE f.agreement_id = changed.id
        UNION ALL SELECT ''sector'', s.sector_id FROM agreements.agreement_sector s WHERE s.agreement_id = changed.id
      ) l';
    EXECUTE agreements.add_linked_agreement_counts('SELECT link, record_id, delta FROM (' || links || ') links');
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER agreement_counted_on_insert AFTER INSERT ON agreements.agreement
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION agreements.count_agreements();
CREATE TRIGGER agreement_counted_on_update AFTER UPDATE ON agreements.agreement
  REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION agreements.count_agreements();
CREATE TRIGGER agreement_counted_on_delete AFTER DELETE ON agreements.agreement
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION agreements.count_agreements();
