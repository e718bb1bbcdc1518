from celery import shared_task

from . import jobs


@shared_task(bind=True, name="synthesis.run_export")
def run_export(self, export_id):
    jobs.run(export_id, task_id=self.request.id or "")


@shared_task(name="synthesis.sweep_exports")
def sweep_exports():
    jobs.sweep()
