-- The partners in use by id, compared byte-wise as pages sort them (COLLATE "C", pagination.ts):
-- a page of the partner list is a range scan that stops after the page (bench/RESULTS.md, "The offices").
CREATE INDEX partner_in_use_id_idx ON partners.partner (id COLLATE "C") WHERE archived_at IS NULL;
