-- Offices create, update and archive their sectors through the graph (docs/writes.md). A sector is
-- archived rather than deleted, since other offices refer to it by id (agreements, focus areas): it
-- still resolves by id but is left out of lists unless they ask for archived sectors too.
ALTER TABLE sectors.sector ADD COLUMN archived_at timestamptz;
