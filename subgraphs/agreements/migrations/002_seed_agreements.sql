-- Seed: exactly the agreements of shared/domain.md, each with its source. The United States (partner
-- `united-states`) is a party to every agreement; a forum or organization is a single party.
INSERT INTO agreements.agreement (id, title, short_title, kind, scope, signed_year, signed_month, purpose, source_document, source_section, source_basis) VALUES
  ('smart-border-declaration', 'Smart Border Declaration', NULL, 'DECLARATION', 'BILATERAL', 2001, NULL, 'To address bilateral CI/KR issues between the United States and Canada.', 'National Infrastructure Protection Plan (2006)', 'Key partners: Canada and Mexico', 'STATED_IN_TEXT'),
  ('border-partnership-declaration', 'Border Partnership Declaration', NULL, 'DECLARATION', 'BILATERAL', 2002, NULL, 'To address bilateral CI/KR issues between the United States and Mexico.', 'National Infrastructure Protection Plan (2006)', 'Key partners: Canada and Mexico', 'STATED_IN_TEXT'),
  ('security-and-prosperity-partnership', 'Security and Prosperity Partnership of North America', 'SPP', 'PARTNERSHIP', 'TRILATERAL', 2005, NULL, 'A common approach to security to protect North America from external threats, prevent and respond to threats, and further streamline the secure and efficient movement of legitimate, low-risk traffic across the shared borders.', 'National Infrastructure Protection Plan (2006)', 'Key partners: Canada and Mexico', 'STATED_IN_TEXT'),
  ('uk-joint-contact-group', 'Joint Contact Group', NULL, 'CONTACT_GROUP', 'BILATERAL', NULL, NULL, 'Brings officials into regular, formal contact to discuss and resolve a range of bilateral homeland security issues.', 'National Infrastructure Protection Plan (2006)', 'Key partners: United Kingdom', 'STATED_IN_TEXT'),
  ('g8-counter-terrorism-statement', 'G8 Statement on Counter-Terrorism', NULL, 'STATEMENT', 'MULTILATERAL', 2005, 7, 'Cites three areas of focus related to CI/KR protection: improving the sharing of information on the movement of terrorists across international borders; assessing and addressing the threat to the transportation infrastructure; promoting best practices for rail and metro security.', 'National Infrastructure Protection Plan (2006)', 'Key partners: Group of Eight', 'STATED_IN_TEXT'),
  ('nato-sc-epc', 'NATO Senior Civil Emergency Planning Committee', 'SCEPC', 'COMMITTEE', 'MULTILATERAL', NULL, NULL, 'The senior policy and advisory body to the North Atlantic Council on civil emergency planning and disaster relief matters; responsible for policy direction and coordination of planning boards and committees in the NATO environment.', 'National Infrastructure Protection Plan (2006)', 'Key partners: North Atlantic Treaty Organization (NATO)', 'STATED_IN_TEXT');

INSERT INTO agreements.agreement_party (agreement_id, partner_id) VALUES
  ('smart-border-declaration', 'united-states'),
  ('smart-border-declaration', 'canada'),
  ('border-partnership-declaration', 'united-states'),
  ('border-partnership-declaration', 'mexico'),
  ('security-and-prosperity-partnership', 'united-states'),
  ('security-and-prosperity-partnership', 'canada'),
  ('security-and-prosperity-partnership', 'mexico'),
  ('uk-joint-contact-group', 'united-states'),
  ('uk-joint-contact-group', 'united-kingdom'),
  ('g8-counter-terrorism-statement', 'united-states'),
  ('g8-counter-terrorism-statement', 'g8'),
  ('nato-sc-epc', 'united-states'),
  ('nato-sc-epc', 'nato');

INSERT INTO agreements.agreement_threat_focus_area (agreement_id, threat_focus_area_id) VALUES
  ('smart-border-declaration', 'cross-border-ci-kr'),
  ('border-partnership-declaration', 'cross-border-ci-kr'),
  ('security-and-prosperity-partnership', 'cross-border-ci-kr'),
  ('g8-counter-terrorism-statement', 'terrorist-movement-information-sharing'),
  ('g8-counter-terrorism-statement', 'transportation-infrastructure-threat'),
  ('g8-counter-terrorism-statement', 'rail-and-metro-security');

INSERT INTO agreements.agreement_sector (agreement_id, sector_id) VALUES
  ('security-and-prosperity-partnership', 'transportation-systems'),
  ('g8-counter-terrorism-statement', 'transportation-systems');
