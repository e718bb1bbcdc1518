import os
import subprocess
import sys

from django.conf import settings

from atelier.celery import app


def test_celery_redelivers_tasks_of_dead_workers_and_limits_their_time():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_without_redis_tasks_run_in_process():
    # (app.conf.task_always_eager is forced on by a test fixture; the setting is the truth)
    if os.environ.get("REDIS_URL"):
        assert settings.CELERY_TASK_ALWAYS_EAGER is False
        assert app.conf.broker_url.startswith("redis://")
    else:
        assert settings.CELERY_TASK_ALWAYS_EAGER is True


def test_french_first_in_paris():
    assert settings.LANGUAGE_CODE == "fr"
    assert [code for code, _ in settings.LANGUAGES] == ["fr", "en"]
    assert settings.TIME_ZONE == "Europe/Paris"


def production_environ():
    # What tests/testenv.py relaxes for the live server must not leak into a deploy check.
    relaxed = {"DJANGO_ALLOW_ASYNC_UNSAFE", "SECURE_SSL_REDIRECT", "SECURE_COOKIES"}
    return {k: v for k, v in os.environ.items() if k not in relaxed}


def run_check(env):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env={**production_environ(), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_deploy_checklist_passes_with_production_settings():
    result = run_check(
        {
            "DEBUG": "false",
            "SECRET_KEY": "k" * 60 + "-Zq9!x",
            "ALLOWED_HOSTS": "atelier.example.org",
            "EMAIL_URL": "smtp+tls://atelier@smtp.example.org:587",
        }
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_checklist_asks_for_a_real_mailer():
    result = run_check(
        {
            "DEBUG": "false",
            "SECRET_KEY": "k" * 60 + "-Zq9!x",
            "ALLOWED_HOSTS": "atelier.example.org",
            "EMAIL_URL": "",
        }
    )
    assert result.returncode != 0 and "mail.E001" in result.stderr + result.stdout


def test_the_app_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.chdir('/'); "
            "os.environ['DJANGO_SETTINGS_MODULE']='atelier.settings'; django.setup()",
        ],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(settings.BASE_DIR), "SECRET_KEY": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def session_engine(redis_url):
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    if redis_url:
        env["REDIS_URL"] = redis_url
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; from django.conf import settings; django.setup(); "
            "print(settings.SESSION_ENGINE)",
        ],
        cwd=settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "atelier.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_sessions_live_in_the_database_only_even_with_redis():
    # Never in a cache: a logout during a Redis outage could not delete the
    # cached copy, and the session would come back with Redis (tests/test_redis_down.py).
    assert session_engine("") == "django.contrib.sessions.backends.db"
    assert session_engine("redis://127.0.0.1:6379/0") == "django.contrib.sessions.backends.db"
