-- Incident numbers come from a sequence instead of the one-row
-- incident_counter table. Every declaration took that row's lock and held
-- it until its commit, so declarations from every replica committed one at
-- a time, and under SERIALIZABLE each that found the row changed since its
-- snapshot failed and ran again. nextval takes no lock that lasts: numbers
-- stay unique (never two INC-7s); a declaration that fails for good skips
-- its number. The sequence starts after the last number the table issued.
CREATE SEQUENCE incident_numbers;
SELECT setval('incident_numbers', greatest(last, coalesce((SELECT max(number) FROM incidents), 0), 1), greatest(last, coalesce((SELECT max(number) FROM incidents), 0)) > 0)
    FROM incident_counter;
DROP TABLE incident_counter;
