"""Production settings pass Django's deployment checklist and refuse unsafe defaults."""

import os
import subprocess
import sys

from django.conf import settings

ROOT = settings.BASE_DIR


def _check(env_extra):
    # a production process starts without the test suite's relaxations (e.g. DJANGO_ALLOW_ASYNC_UNSAFE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", **env_extra})
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _check(
        {"SECRET_KEY": "q8#Lz2@vN5!rT0^wY7&kD4*hS1(mB9)cF6_gJ3+xP0=uA5-eR8", "ALLOWED_HOSTS": "12345.pds.gov.cn"}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_the_development_secret_key():
    result = _check({"SECRET_KEY": "", "ALLOWED_HOSTS": "12345.pds.gov.cn"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
