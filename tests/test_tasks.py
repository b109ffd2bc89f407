"""Periodic housekeeping tasks run by the queue consumer."""
import os
from pathlib import Path

import tasks
from domain.files import storage
from models import Document


def test_hourly_task_sweeps_abandoned_uploads(client, app, applicant, tmp_path, monkeypatch):
    storage_dir = tmp_path / "files"
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(storage_dir))
    monkeypatch.setattr(storage, "_folder", str(storage_dir))  # the consumer's folder
    response = client.post("/uploads", data=b"abandoned",
                           headers={"X-File-Name": "%D0%B1%D1%80%D0%BE%D1%88%D0%B5%D0%BD.pdf"})
    assert response.status_code in (200, 201)
    for marker in (storage_dir / "pending").rglob("*"):
        os.utime(marker, (1, 1))  # older than a day
    tasks.sweep_abandoned_uploads()  # immediate mode: runs here, as the consumer would
    assert [p for p in Path(storage_dir).rglob("*") if p.is_file()] == []
    assert Document.select().count() == 0
