import pytest

from .redis_server import on_redis, private_redis  # noqa: F401 (fixtures for every module)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # The manifest storage needs collectstatic; tests use the finders instead.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    # The real hasher costs ~350 ms a password; tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Parallel workers must not flush each other's Redis keys.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()  # locmem caches of one process share their storage


@pytest.fixture(autouse=True)
def _french():
    # The locale middleware leaves the last request's language active in the
    # thread; each test starts in French, the interface's first language.
    from django.utils import translation

    translation.activate("fr")
    yield
    translation.activate("fr")


@pytest.fixture
def world(db):
    """The shared fixture world: two territories, a workshop in each, a public
    national workshop, and one user per role."""
    from types import SimpleNamespace

    from atelier.models import Kind, Role
    from territories.models import Level

    from . import factories as f

    region_a = f.RegionFactory(name="Hauts-de-France", code="32")
    dept_a = f.TerritoryFactory(name="Nord", code="59", parent=region_a)
    commune_a = f.TerritoryFactory(level=Level.COMMUNE, name="Roubaix", code="59512", parent=dept_a)
    region_b = f.RegionFactory(name="Occitanie", code="76")
    dept_b = f.TerritoryFactory(name="Gard", code="30", parent=region_b)

    users = SimpleNamespace(
        animator=f.UserFactory(username="anim"),
        other_animator=f.UserFactory(username="anim2"),
        animator_elsewhere=f.UserFactory(username="anim3"),
        coordinator=f.UserFactory(username="coord", role=Role.COORDINATOR),
        delegate_a=f.UserFactory(username="dpa", role=Role.DELEGATE),
        delegate_b=f.UserFactory(username="dpb", role=Role.DELEGATE),
        deactivated=f.UserFactory(username="gone", role=Role.COORDINATOR, is_active=False),
        superuser=f.UserFactory(username="root", is_superuser=True, is_staff=True),
    )
    users.delegate_a.territories.add(region_a)
    users.delegate_b.territories.add(dept_b)

    def workshop(label, territory, animators, *, public=False):
        ws = f.WorkshopFactory(
            title=f"Atelier {label}",
            slug=f"atelier-{label.lower()}",
            territory=territory,
            is_public=public,
        )
        rnd = f.RoundFactory(workshop=ws, order=1)
        question = f.QuestionFactory(round=rnd, order=1, title=f"Consigne {label}")
        groups = [
            f.WorkingGroupFactory(round=rnd, number=i + 1, animators=[a])
            for i, a in enumerate(animators)
        ]
        person = f.ParticipantFactory(workshop=ws, first_name="Personne", last_name=label)
        if groups:
            groups[0].members.add(person)
        notes = [
            f.ContributionFactory(
                group=g,
                question=question,
                kind=Kind.SUCCESS_FACTOR,
                text=f"Note secrète {label}{g.number}",
            )
            for g in groups
        ]
        synthesis = f.SynthesisFactory(workshop=ws, intro=f"Introduction {label}")
        section = f.SectionFactory(
            synthesis=synthesis, round=rnd, question=question, order=1, title=f"Rubrique {label}"
        )
        statement = f.StatementFactory(section=section, text=f"Énoncé secret {label}")
        statement.sources.set(notes)
        return SimpleNamespace(
            workshop=ws,
            person=person,
            round=rnd,
            question=question,
            groups=groups,
            notes=notes,
            synthesis=synthesis,
            statement=statement,
        )

    theme = f.ThemeFactory(name="Thème matrice")
    a = workshop("A", commune_a, [users.animator, users.other_animator])
    b = workshop("B", dept_b, [users.animator_elsewhere])
    national = workshop("N", None, [], public=True)
    # Workshop A's synthesis is being revised: r1 published, r2 a draft.
    a.draft = f.SynthesisFactory(workshop=a.workshop, revision=2, status="draft", published_at=None)
    a.draft_section = f.SectionFactory(
        synthesis=a.draft, round=a.round, question=a.question, order=1, title="Rubrique brouillon A"
    )
    a.draft_statement = f.StatementFactory(section=a.draft_section, text="Énoncé brouillon A")
    a.draft_statement.sources.set(a.notes)
    from synthesis.models import Comment

    a.comment = Comment.objects.create(
        statement=a.draft_statement, author=users.coordinator, text="Vérifier le chiffre"
    )
    return SimpleNamespace(
        users=users,
        theme=theme,
        a=a,
        b=b,
        national=national,
        territories=SimpleNamespace(
            region_a=region_a, dept_a=dept_a, commune_a=commune_a, region_b=region_b, dept_b=dept_b
        ),
    )


@pytest.fixture
def as_user(client):
    """Log the test client in as a user (None: stay anonymous)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    from .browser import CHROMIUM_ARGS, chromium_path

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="fr-FR", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture(autouse=True)
def _tasks_in_process():
    """Tasks run in the test's own process unless a test starts a real worker
    (tests/test_export_worker.py), even when REDIS_URL points at a broker."""
    from atelier.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager
