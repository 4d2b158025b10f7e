with

source as (

    select * from {{ source('meta', 'load_batches') }}

),

renamed as (

    select
        -- ids
        batch_id,
        source,
        entity,

        -- status and timing
        status as load_status,
        started_at,
        finished_at,

        -- counts
        records_in,
        records_landed,
        records_duplicate,
        records_quarantined,
        case
            when records_in = 0 then 0
            else records_quarantined::numeric / records_in
        end as quarantined_share

    from source

)

select * from renamed
