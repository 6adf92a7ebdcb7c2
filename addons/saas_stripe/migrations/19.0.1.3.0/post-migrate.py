RUN_COLUMNS = (
    "id, name, backend_id, company_id, date_from, date_to, state, started_at, finished_at, "
    "rate_since, rate_base_count, retry_count, last_error, "
    "create_uid, create_date, write_uid, write_date"
)
LINE_COLUMNS = (
    "id, backfill_id, company_id, object_type, sequence, cursor, done_count, read_count, "
    "expected_count, is_done, create_uid, create_date, write_uid, write_date"
)


def migrate(cr, version):
    """Stripe backfill runs became the engine's ``saas.backfill``: their rows, progress lines,
    chatter and waiting jobs move there under the same ids. The upgrade removes the models
    Stripe no longer defines but leaves tables of models it cannot load: dropped here."""
    cr.execute("SELECT to_regclass('saas_stripe_backfill') IS NOT NULL")
    if not cr.fetchone()[0]:
        return
    cr.execute(
        f"INSERT INTO saas_backfill ({RUN_COLUMNS}) SELECT {RUN_COLUMNS} FROM saas_stripe_backfill"
    )
    cr.execute(
        f"INSERT INTO saas_backfill_line ({LINE_COLUMNS}) "
        f"SELECT {LINE_COLUMNS} FROM saas_stripe_backfill_line"
    )
    for table in ("saas_backfill", "saas_backfill_line"):
        cr.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
        )
    for table, column in (("mail_message", "model"), ("mail_followers", "res_model")):
        cr.execute(
            f"UPDATE {table} SET {column} = 'saas.backfill' "
            f"WHERE {column} = 'saas.stripe.backfill'"
        )
    cr.execute(
        """
        UPDATE queue_job
           SET model_name = 'saas.backfill',
               identity_key = replace(identity_key, 'saas.stripe.backfill:', 'saas.backfill:'),
               -- queue_job keeps the serialized recordset as a JSON string.
               records = to_jsonb(
                   replace(
                       records #>> '{}',
                       '"model": "saas.stripe.backfill"',
                       '"model": "saas.backfill"'
                   )
               )
         WHERE model_name = 'saas.stripe.backfill'
        """
    )
    cr.execute("DROP TABLE saas_stripe_backfill_line, saas_stripe_backfill CASCADE")
