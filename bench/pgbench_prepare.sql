-- The supply for pgbench's booking transactions: every free future slot numbered once
-- (each transaction takes the next one, as the booking round books distinct slots),
-- and the patients numbered for a random pick.
DROP TABLE IF EXISTS pgbench_slots, pgbench_patients;
DROP SEQUENCE IF EXISTS pgbench_slot_seq;
CREATE TABLE pgbench_slots AS
    SELECT row_number() OVER (ORDER BY start_time, id) AS n, id, doctor_id
    FROM doctors_availabilityslot
    WHERE status = 'AVAILABLE' AND start_time > now() + interval '1 hour';
CREATE UNIQUE INDEX ON pgbench_slots (n);
CREATE TABLE pgbench_patients AS
    SELECT row_number() OVER (ORDER BY id) AS n, id FROM accounts_user WHERE role = 'PATIENT';
CREATE UNIQUE INDEX ON pgbench_patients (n);
CREATE SEQUENCE pgbench_slot_seq;
