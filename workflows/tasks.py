"""Background work: rendering a stage's document for its signers."""

from celery import shared_task

from . import services


@shared_task(bind=True, max_retries=3, default_retry_delay=10)
def prepare_signing(self, process_id: int) -> None:
    try:
        services.signing_prepare(process_id=process_id)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            services.signing_preparation_failed(process_id=process_id, error=error)
            raise
        raise self.retry(exc=error) from error
