"""Test helpers every provider's tests share: store a delivery as the webhook route does, and
run the connector's jobs as the job runner would."""

from werkzeug.datastructures import Headers

from odoo import fields
from odoo.addons.queue_job.job import Job

from ..lib.inbound import WebhookRequest


def webhook_request(env, backend, body, headers, method="POST"):
    """The :class:`WebhookRequest` the route makes of a delivery of ``body`` with ``headers``
    to ``backend``'s webhook URL."""
    headers = Headers(headers)
    return WebhookRequest(
        method=method,
        url=f"{env['saas.backend']._webhook_public_base_url()}/saas/webhook/"
        f"{backend.sudo().webhook_token}",
        headers=headers,
        body=body,
        mimetype=headers.get("Content-Type", "").partition(";")[0].strip().lower(),
    )


def store_delivery(env, backend, body, headers, secrets):
    """What the webhook route does once a request passed its checks, without HTTP: the
    backend's provider verifies the delivery of ``body`` with ``headers`` against ``secrets``,
    then its events are stored and enqueued. Returns the events newly stored (none for a
    duplicate)."""
    inbound = backend._provider_parse_webhook(
        webhook_request(env, backend, body, headers), secrets
    )
    new = env["saas.event"]._receive(backend, inbound, "{}", body=body)
    return env["saas.event"].browse([event_id for event_id, _object_id in new])


def run_jobs(env, limit=100, method=None):
    """Perform the pending connector jobs whose time has come, oldest first, as the job runner
    would; only those of ``method`` if given. Returns how many ran."""
    performed = 0
    while performed < limit:
        now = fields.Datetime.now()
        record = env["queue.job"].search(
            [
                ("state", "=", "pending"),
                ("model_name", "=", "saas.backend"),
                *([("method_name", "=", method)] if method else []),
                "|",
                ("eta", "=", False),
                ("eta", "<=", now),
            ],
            order="id",
            limit=1,
        )
        if not record:
            break
        job = Job.load(env, record.uuid)
        job.set_started()
        job.store()
        job.perform()
        job.set_done()
        job.store()
        performed += 1
    return performed
