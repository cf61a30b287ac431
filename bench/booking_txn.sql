-- One booking as the service sends it to PostgreSQL (POST /consultations/bookings):
-- the idempotency lookup, then in one transaction the slot row lock (with its doctor
-- and the doctor's user), the consultation, the three audit-trail entries (two of them
-- django-auditlog's change entries, written once), the slot update, the outbox row and
-- the idempotency record.
-- Sealing the audit chain is left out: it runs after commit, batched over many
-- bookings. Defines: ct_consultation, ct_slot (content type ids), patients (count).
\set p random(1, :patients)
SELECT s.id AS slot_id, s.doctor_id AS doctor_id, pp.id AS patient_id,
       md5(random()::text) AS idem_key, gen_random_uuid() AS consultation_id
FROM pgbench_slots s, pgbench_patients pp
WHERE s.n = (SELECT nextval('pgbench_slot_seq')) AND pp.n = :p \gset
SELECT id, fingerprint, response_status, response_body, created_at
FROM consultations_idempotencyrecord WHERE user_id = :patient_id AND key = :idem_key;
BEGIN;
SAVEPOINT booking;
SELECT s.*, d.*, u.*
FROM doctors_availabilityslot s
JOIN doctors_doctorprofile d ON d.id = s.doctor_id
JOIN accounts_user u ON u.id = d.user_id
WHERE s.id = :slot_id ORDER BY s.id FOR UPDATE OF s;
INSERT INTO consultations_consultation
    (id, created_at, updated_at, patient_id, doctor_id, slot_id, status, reason, meeting_token)
VALUES (:consultation_id, now(), now(), :patient_id, :doctor_id, :slot_id, 'PENDING',
        NULL, md5(random()::text));
INSERT INTO audit_auditentry
    (timestamp, kind, actor_id, actor_role, actor_label, action, object_type, object_id,
     changes, ip, request_id, content_type_id)
VALUES (now(), 'change', :patient_id, 'PATIENT', '', 'consultation.created', 'consultation',
        :consultation_id, '{"status": [null, "PENDING"]}', '127.0.0.1',
        md5(random()::text), :ct_consultation);
INSERT INTO audit_auditentry
    (timestamp, kind, actor_id, actor_role, actor_label, action, object_type, object_id,
     changes, ip, request_id, content_type_id)
VALUES (now(), 'change', :patient_id, 'PATIENT', '', 'availability_slot.updated',
        'availability_slot', :slot_id, '{"status": ["AVAILABLE", "BOOKED"]}', '127.0.0.1',
        md5(random()::text), :ct_slot);
UPDATE doctors_availabilityslot SET updated_at = now(), status = 'BOOKED' WHERE id = :slot_id;
INSERT INTO audit_auditentry
    (timestamp, kind, actor_id, actor_role, actor_label, action, object_type, object_id,
     changes, ip, request_id)
VALUES (now(), 'event', :patient_id, 'PATIENT', '', 'consultation.booked', 'consultation',
        :consultation_id, '{"status": [null, "PENDING"]}', '127.0.0.1', md5(random()::text));
INSERT INTO notifications_outboxevent (id, event, consultation_id, data, created_at)
VALUES (gen_random_uuid(), 'consultation.booked', :consultation_id,
        '{"consultationId": "-", "patientId": "-", "doctorId": "-", "slotId": "-",
          "status": "PENDING"}', now());
RELEASE SAVEPOINT booking;
INSERT INTO consultations_idempotencyrecord
    (user_id, key, endpoint, fingerprint, response_status, response_body, created_at)
VALUES (:patient_id, :idem_key, 'POST /api/v1/consultations/bookings',
        md5(random()::text) || md5(random()::text), 201, repeat('x', 900), now());
COMMIT;
