-- Restricted fields of an agreement (see schema.graphql). Every seeded agreement exists in the 2006
-- plan, so each is CONCLUDED. No internal note of any office is known to this system: the notes
-- seeded here are fictional placeholders, marked as such in their text; the rest are null.
ALTER TABLE agreements.agreement
  ADD COLUMN internal_notes text,
  ADD COLUMN negotiation_status text CHECK (negotiation_status IN ('UNDER_NEGOTIATION', 'CONCLUDED', 'SUPERSEDED'));

UPDATE agreements.agreement SET negotiation_status = 'CONCLUDED';
UPDATE agreements.agreement
  SET internal_notes = '[Fictional placeholder] Internal note for access-control demonstration; not a real note.'
  WHERE id IN ('smart-border-declaration', 'uk-joint-contact-group');
