-- Points of contact at partners: restricted data (see schema.graphql). No real contact is known to
-- this system, so the seed holds fictional placeholders only, marked FICTIONAL_PLACEHOLDER in their
-- source and using reserved `.invalid` email domains, so that access control can be seen working.
CREATE TABLE partners.point_of_contact (
  partner_id text NOT NULL REFERENCES partners.partner (id),
  position int NOT NULL CHECK (position >= 1),
  name text NOT NULL,
  role text NOT NULL,
  email text NOT NULL,
  source_document text NOT NULL,
  source_section text NOT NULL,
  source_basis text NOT NULL CHECK (source_basis IN ('STATED_IN_TEXT', 'PUBLIC_KNOWLEDGE', 'FICTIONAL_PLACEHOLDER')),
  PRIMARY KEY (partner_id, position)
);

INSERT INTO partners.point_of_contact (partner_id, position, name, role, email, source_document, source_section, source_basis) VALUES
  ('canada', 1, 'Placeholder Contact A', 'Placeholder liaison (fictional)', 'contact-a@placeholder.invalid', 'Fictional placeholder data', 'Access-control demonstration; not a real person', 'FICTIONAL_PLACEHOLDER'),
  ('mexico', 1, 'Placeholder Contact B', 'Placeholder liaison (fictional)', 'contact-b@placeholder.invalid', 'Fictional placeholder data', 'Access-control demonstration; not a real person', 'FICTIONAL_PLACEHOLDER'),
  ('united-kingdom', 1, 'Placeholder Contact C', 'Placeholder liaison (fictional)', 'contact-c@placeholder.invalid', 'Fictional placeholder data', 'Access-control demonstration; not a real person', 'FICTIONAL_PLACEHOLDER');
