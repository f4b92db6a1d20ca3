"""With production settings, Django's deployment checklist reports nothing."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_check_deploy_is_silent_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"STEWARD_TESTING", "DEBUG", "STEWARD_HTTPS", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        SECRET_KEY="x" * 20 + "production-secret-key-with-enough-entropy-0123456789",
        ALLOWED_HOSTS="steward.example.com",
        STEWARD_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"STEWARD_TESTING", "DEBUG", "SECRET_KEY", "SECRET_KEY_FILE"}}
    env.update(STEWARD_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_secret_key_file_is_read(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("k" * 60 + "\n")
    env = {k: v for k, v in os.environ.items() if k not in {"STEWARD_TESTING", "DEBUG", "SECRET_KEY"}}
    env.update(SECRET_KEY_FILE=str(key_file), STEWARD_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings", ALLOWED_HOSTS="x")
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.stdout.strip() == "k" * 60, result.stderr
