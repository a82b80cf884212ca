from smtplib import SMTPException

from celery import shared_task


@shared_task(
    name="clients.invitation_email_send",
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def invitation_email_send_task(invitation_id: int, nonce: str, base_url: str) -> None:
    from printconnect.clients.services import invitation_email_send

    invitation_email_send(invitation_id=invitation_id, nonce=nonce, base_url=base_url)
