{{ config(materialized='view') }}

-- Each customer message's first response in calendar and in business time, its priority and
-- whether it missed its SLA (macros/message_response_times.sql). A view: computed when read
-- (brand_response_times_daily, open_conversations), not kept. Its readers' filters on the
-- messages (the live queue's open ones) reach the scan of int_messages_answered.
{{ message_response_times(ref('int_messages_answered')) }}
