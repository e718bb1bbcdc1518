"""Every URL pattern of the project against every role.

Each row names a URL pattern, how to request it in the shared world, and for
each role the status code plus what the answer must and must not contain.
`test_matrix_covers_every_url_pattern` fails as soon as a pattern has no row:
a new view cannot ship without saying who may see it.
"""

from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

ROLES = [
    "anonymous",
    "animator",
    "other_animator",
    "animator_elsewhere",
    "coordinator",
    "delegate_a",
    "delegate_b",
    "deactivated",
    "superuser",
]
OUTSIDERS = ["anonymous", "animator_elsewhere", "delegate_b", "deactivated"]


@dataclass
class Expect:
    status: int
    contains: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()


@dataclass
class Row:
    url: callable  # world -> path
    expect: dict[str, Expect]
    method: str = "get"
    data: dict = field(default_factory=dict)


def everyone(status, **kwargs):
    return {role: Expect(status, **kwargs) for role in ROLES}


def login_redirect():
    return Expect(302)


SECRET_B = ("Atelier B", "Énoncé secret B", "Note secrète B")

MATRIX = {
    "home": Row(
        lambda w: "/",
        {
            **everyone(200, excludes=SECRET_B),
            "animator": Expect(200, contains=("Mes groupes", "Atelier A"), excludes=SECRET_B),
            "other_animator": Expect(200, contains=("Atelier A",), excludes=SECRET_B),
            "animator_elsewhere": Expect(200, contains=("Atelier B",), excludes=("Atelier A",)),
            "coordinator": Expect(200, contains=("Atelier A", "Atelier B", "Atelier N")),
            "superuser": Expect(200, contains=("Atelier A", "Atelier B")),
            "delegate_a": Expect(200, contains=("Hauts-de-France", "Atelier A"), excludes=SECRET_B),
            "delegate_b": Expect(
                200, contains=("Gard", "Atelier B"), excludes=("Atelier A", "Roubaix")
            ),
            "anonymous": Expect(
                200, contains=("Se connecter", "Atelier N"), excludes=("Atelier A", *SECRET_B)
            ),
            "deactivated": Expect(
                200, contains=("Se connecter",), excludes=("Atelier A", "Atelier B")
            ),
        },
    ),
    "login": Row(lambda w: "/connexion/", everyone(200, contains=("Connexion",))),
    "logout": Row(lambda w: "/deconnexion/", everyone(302), method="post"),
    "set_language": Row(
        lambda w: "/i18n/setlang/",
        everyone(302),
        method="post",
        data={"language": "en", "next": "/"},
    ),
    "health": Row(lambda w: "/health/", everyone(200, contains=("ok",))),
    "logo": Row(lambda w: "/media/logos/absent.png", everyone(404)),
    "workshop": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/",
        {
            **{role: Expect(404, excludes=("Atelier A", "Consigne A")) for role in OUTSIDERS},
            "animator": Expect(200, contains=("Atelier A", "Consigne A", "mon groupe")),
            "other_animator": Expect(200, contains=("Atelier A", "Consigne A")),
            "coordinator": Expect(200, contains=("Atelier A", "Consigne A")),
            "superuser": Expect(200, contains=("Atelier A",)),
            "delegate_a": Expect(200, contains=("Atelier A", "Consigne A"), excludes=SECRET_B),
        },
    ),
    "synthesis": Row(
        lambda w: f"/ateliers/{w.a.workshop.slug}/synthese/",
        {
            **{role: Expect(404, excludes=("Énoncé secret A",)) for role in OUTSIDERS},
            **{
                role: Expect(200, contains=("Énoncé secret A", "Rubrique A"), excludes=SECRET_B)
                for role in ["animator", "other_animator", "coordinator", "delegate_a", "superuser"]
            },
        },
    ),
    # The admin is one row: its dozens of patterns share one gate, the admin site's
    # has_permission, which lets coordinators and superusers in and nobody else.
    "admin:*": Row(
        lambda w: "/admin/atelier/contribution/",
        {
            **{role: Expect(302, excludes=("Note secrète",)) for role in ROLES},
            "coordinator": Expect(200, contains=("Note secrète A1", "Note secrète B1")),
            "superuser": Expect(200, contains=("Note secrète A1", "Note secrète B1")),
        },
    ),
}


def pattern_names(resolver=None, namespace=""):
    """Every named URL pattern; the admin's collapse into 'admin:*'."""
    resolver = resolver or get_resolver()
    names = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            if ns == "admin":
                names.add("admin:*")
                continue
            names |= pattern_names(entry, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(entry, URLPattern):
            names.add(f"{namespace}{entry.name}" if entry.name else repr(entry.pattern))
    return names


def missing_rows(resolver=None):
    return sorted(pattern_names(resolver) - set(MATRIX))


def test_matrix_covers_every_url_pattern():
    assert missing_rows() == []


def test_matrix_check_fails_for_an_unlisted_pattern():
    from django.urls import path

    from atelier import urls

    extra = [*urls.urlpatterns, path("nouveau/", lambda r: None, name="unlisted_view")]
    resolver = URLResolver(r"^/", type("Conf", (), {"urlpatterns": extra}))
    assert missing_rows(resolver) == ["unlisted_view"]


CASES = [(name, role) for name in MATRIX for role in ROLES]


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_role_against_view(world, as_user, name, role):
    row = MATRIX[name]
    expect = row.expect[role]
    user = None if role == "anonymous" else getattr(world.users, role)
    client = as_user(user)
    response = getattr(client, row.method)(row.url(world), row.data)
    assert response.status_code == expect.status, (name, role)
    body = response.content.decode()
    for text in expect.contains:
        assert text in body, (name, role, text)
    for text in expect.excludes:
        assert text not in body, (name, role, text)


def test_every_row_lists_every_role():
    for name, row in MATRIX.items():
        assert set(row.expect) == set(ROLES), name
