-- Offices create and archive their agreements through the graph (docs/writes.md). An agreement is
-- archived rather than deleted, since other offices refer to it by id (a focus area's origin): it
-- still resolves by id but is left out of lists unless they ask for archived agreements too.
ALTER TABLE agreements.agreement ADD COLUMN archived_at timestamptz;
