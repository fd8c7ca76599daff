"""Background tasks of 桐解码 (Django tasks API, database backend; run by ``xiangzhi worker``)."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="default")
def import_cases(job_id: int) -> dict[str, object]:
    """Import one uploaded file of historical cases (importer.run_job). Safe to run twice or on two workers at once:
    the job is claimed with a guarded UPDATE and a second run finds it taken."""
    from .services.importing import run_job

    job = run_job(job_id)
    if job is None:
        return {"job": job_id, "status": "not queued (already claimed or finished)"}
    return {"job": job_id, "status": job.status, "imported": job.imported_rows, "errors": job.error_count}
