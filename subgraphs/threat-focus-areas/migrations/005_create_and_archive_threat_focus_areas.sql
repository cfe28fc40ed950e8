-- Offices create and archive their threat focus areas through the graph (docs/writes.md). A focus
-- area is archived rather than deleted, since the agreements office refers to it by id: it still
-- resolves by id but is left out of lists unless they ask for archived focus areas too.
ALTER TABLE threat_focus_areas.threat_focus_area ADD COLUMN archived_at timestamptz;
