-- Idempotency keys scoped to (principal, command type, body hash): issue #18.
-- A key reused by another caller, for another command or with another body is refused
-- ('ES422'), never answered with the first command's result. Rows recorded before this
-- migration carry no scope and keep being answered as repeats.
ALTER TABLE commands
    ADD COLUMN principal    text,
    ADD COLUMN command_type text,
    ADD COLUMN body_hash    text;

-- The same append as 0004 with the key's scope. The old function stays for instances still
-- running the previous code during a rolling upgrade.
CREATE FUNCTION ishc_append(
    p_streams          text[],
    p_expected         integer[],
    p_event_ids        uuid[],
    p_stream_ids       text[],
    p_stream_types     text[],
    p_versions         integer[],
    p_types            text[],
    p_schema_versions  integer[],
    p_data             jsonb[],
    p_metadata         jsonb[],
    p_command_id       uuid,
    p_result           jsonb,
    p_notify           boolean,
    p_principal        text,
    p_command_type     text,
    p_body_hash        text
) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_current integer;
    v_previous commands%ROWTYPE;
BEGIN
    IF p_command_id IS NOT NULL THEN
        -- A concurrent twin blocks here until the first commits, then sees the conflict.
        INSERT INTO commands (command_id, result, principal, command_type, body_hash)
        VALUES (p_command_id, p_result, p_principal, p_command_type, p_body_hash)
        ON CONFLICT (command_id) DO NOTHING;
        IF NOT FOUND THEN
            SELECT * INTO v_previous FROM commands WHERE command_id = p_command_id;
            IF v_previous.principal IS NOT NULL AND p_principal IS NOT NULL AND (
                v_previous.principal IS DISTINCT FROM p_principal
                OR v_previous.command_type IS DISTINCT FROM p_command_type
                OR v_previous.body_hash IS DISTINCT FROM p_body_hash
            ) THEN
                RAISE EXCEPTION 'idempotency key % was used for another request', p_command_id
                    USING ERRCODE = 'ES422';
            END IF;
            RETURN v_previous.result;
        END IF;
    END IF;

    FOR i IN 1 .. coalesce(array_length(p_streams, 1), 0) LOOP
        SELECT coalesce(max(version), 0) INTO v_current FROM events WHERE stream_id = p_streams[i];
        IF v_current <> p_expected[i] THEN
            RAISE EXCEPTION 'stream % is at version %, expected %', p_streams[i], v_current, p_expected[i]
                USING ERRCODE = 'ES409', DETAIL = p_streams[i], HINT = v_current::text;
        END IF;
    END LOOP;

    INSERT INTO events (event_id, stream_id, stream_type, version, type, schema_version, data, metadata)
    SELECT * FROM unnest(p_event_ids, p_stream_ids, p_stream_types, p_versions, p_types,
                         p_schema_versions, p_data, p_metadata);

    IF p_notify THEN
        PERFORM pg_notify('ishc_events', '');
    END IF;
    RETURN NULL;
END;
$$;
