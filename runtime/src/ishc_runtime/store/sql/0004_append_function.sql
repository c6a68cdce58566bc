-- One round trip per command: idempotency record, optimistic concurrency check, the events,
-- and the wake-up for the sequencer, all in the caller's (implicit) transaction.
-- Returns NULL when appended, or the stored result when the command was handled before.
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
    p_notify           boolean
) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_current integer;
    v_previous jsonb;
BEGIN
    IF p_command_id IS NOT NULL THEN
        -- A concurrent twin blocks here until the first commits, then sees the conflict.
        INSERT INTO commands (command_id, result) VALUES (p_command_id, p_result)
        ON CONFLICT (command_id) DO NOTHING;
        IF NOT FOUND THEN
            SELECT result INTO v_previous FROM commands WHERE command_id = p_command_id;
            RETURN v_previous;
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
