-- Netlify joins the providers a link may name.
INSERT INTO providers (key) VALUES ('netlify');
