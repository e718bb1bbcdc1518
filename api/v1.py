"""/api/v1/: the read-only open-data API (django-ninja, docs/decisions.md).

Every endpoint asks the site's permission helpers (api/access.py,
synthesis/permissions.py, territories/permissions.py), so a caller sees what
the same user sees on the site. Answers carry an ETag (304 on If-None-Match)
and are counted against a rate limit per token or per address."""

import hashlib
from datetime import date

from django.http import Http404
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_vary_headers
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError
from ninja.renderers import JSONRenderer
from pydantic import Field

from atelier.models import Kind, Theme, Workshop
from synthesis.models import Statement
from synthesis.permissions import get_readable_synthesis_or_404
from territories.models import Level, Territory
from territories.permissions import get_territory_for_reader

from . import data, schemas
from .access import readable_syntheses, readable_workshops
from .security import CallerThrottle, PersonalToken

DESCRIPTION = (
    "Les synthèses publiées des ateliers, leurs énoncés avec leur soutien, les ateliers, "
    "les territoires, le référentiel des thèmes et les chiffres par territoire. Lecture "
    "seule. Sans jeton, l'API montre ce qu'un visiteur sans compte voit sur le site ; avec "
    "un jeton personnel (`Authorization: Bearer …`), ce que son titulaire voit. Aucune note "
    "de groupe ni donnée personnelle. Documentation : /api/."
)


class Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # French text, readable as sent


class AtelierAPI(NinjaAPI):
    def create_response(self, request, data, *, status=None, temporal_response=None):
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        # The answer depends on who asks: caches must key on the caller.
        patch_vary_headers(response, ["Authorization", "Cookie"])
        if response.status_code == 401:
            response["WWW-Authenticate"] = 'Bearer realm="api"'
        if response.status_code != 200 or request.method not in ("GET", "HEAD"):
            return response
        # A digest of the body: a client that already has it gets 304 and no
        # body (the queries are spent, the bandwidth is not).
        response["ETag"] = f'"{hashlib.sha256(response.content).hexdigest()[:40]}"'
        return get_conditional_response(request, etag=response["ETag"], response=response)

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        # The token is optional: without it, the anonymous view (`{}` in
        # OpenAPI's list of alternatives means "no authentication").
        for item in schema["paths"].values():
            for operation in item.values():
                if operation.get("security"):
                    operation["security"].append({})
        return schema


api = AtelierAPI(
    title="Atelier — API de données ouvertes",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    docs_url=None,  # the French page at /api/ documents it (api/views.py)
    auth=PersonalToken(),
    throttle=CallerThrottle(),
    renderer=Renderer(),
)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "Introuvable."}, status=404)


class Index(Schema):
    documentation: str
    openapi: str
    endpoints: dict[str, str]


@api.get("/", response=Index, url_name="index", tags=["index"])
def index(request):
    """Les adresses de l'API, de son document OpenAPI et de sa documentation."""
    names = ["syntheses", "statements", "workshops", "territories", "themes"]
    return {
        "documentation": request.build_absolute_uri(reverse("api_docs")),
        "openapi": request.build_absolute_uri(reverse("api-v1:openapi-json")),
        "endpoints": {n: request.build_absolute_uri(reverse(f"api-v1:{n}")) for n in names},
    }


class PageQuery(Schema):
    limit: int = Field(50, ge=1, le=200, description="Résultats par page (200 au plus).")
    offset: int = Field(0, ge=0, description="Rang du premier résultat.")


# Ids are 64-bit: a larger number is a 422 from the schema, not an overflow in
# the database driver (a 500 on SQLite).
ID_MAX = 2**63 - 1


class FilterQuery(Schema):
    territory: int | None = Field(
        None,
        ge=1,
        le=ID_MAX,
        description="Identifiant d'un territoire : lui et tout ce qu'il contient.",
    )
    date_from: str | None = Field(None, description="Ateliers tenus ce jour ou après (AAAA-MM-JJ).")
    date_to: str | None = Field(None, description="Ateliers tenus ce jour ou avant (AAAA-MM-JJ).")
    theme: str | None = Field(None, description="Slug d'un thème du référentiel.")
    kind: Kind | None = Field(None, description="Type d'énoncé ou de note.")


def _filters(query: FilterQuery) -> data.Filters:
    def day(value, name):
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise HttpError(400, f"{name} : date attendue au format AAAA-MM-JJ.") from None

    territory = theme = None
    if query.territory is not None:
        territory = Territory.objects.filter(pk=query.territory).first()
        if territory is None:
            raise HttpError(400, "territory : territoire inconnu.")
    if query.theme:
        theme = Theme.objects.filter(slug=query.theme).first()
        if theme is None:
            raise HttpError(400, "theme : thème inconnu.")
    return data.Filters(
        territory=territory,
        date_from=day(query.date_from, "date_from"),
        date_to=day(query.date_to, "date_to"),
        theme=theme,
        kind=query.kind.value if query.kind else None,
    )


def _page(request, queryset, rows, page: PageQuery) -> dict:
    """One page of `queryset` as rows, with the total and the links to the
    pages around it (the same filters kept)."""
    count = queryset.count()
    end = page.offset + page.limit

    def link(offset):
        params = request.GET.copy()
        params["offset"], params["limit"] = offset, page.limit
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

    return {
        "count": count,
        "next": link(end) if end < count else None,
        "previous": link(max(0, page.offset - page.limit)) if page.offset > 0 else None,
        "results": rows(queryset[page.offset : end]) if page.offset < count else [],
    }


@api.get("/workshops/", response=schemas.WorkshopPage, url_name="workshops", tags=["ateliers"])
def workshops(request, page: Query[PageQuery], filters: Query[FilterQuery]):
    """Les ateliers : publics pour tous ; avec un jeton, ceux que son titulaire voit.
    Filtres : territoire, dates (theme et kind ne s'y appliquent pas)."""
    queryset = data.filter_workshops(readable_workshops(request.user), _filters(filters))
    queryset = queryset.order_by("-date", "title", "pk")
    return _page(request, queryset, data.workshop_rows, page)


@api.get("/workshops/{slug}/", response=schemas.WorkshopOut, url_name="workshop", tags=["ateliers"])
def workshop(request, slug: str):
    """Un atelier (404 s'il n'est pas lisible par l'appelant)."""
    rows = data.workshop_rows(readable_workshops(request.user).filter(slug=slug))
    if not rows:
        raise Http404
    return rows[0]


@api.get("/syntheses/", response=schemas.SynthesisPage, url_name="syntheses", tags=["synthèses"])
def syntheses(request, page: Query[PageQuery], filters: Query[FilterQuery]):
    """La révision publiée la plus récente de chaque synthèse lisible. Filtres :
    territoire, dates de l'atelier, et une synthèse qui contient un énoncé du
    thème ou du type demandé."""
    queryset = data.filter_syntheses(readable_syntheses(request.user), _filters(filters))
    queryset = queryset.order_by("-workshop__date", "workshop__slug")
    return _page(request, queryset, data.synthesis_rows, page)


@api.get(
    "/syntheses/{slug}/",
    response=schemas.SynthesisDocument,
    url_name="synthesis",
    tags=["synthèses"],
)
def synthesis(request, slug: str):
    """Une synthèse publiée : rubriques, énoncés avec leur soutien, paroles par type d'acteur."""
    return data.synthesis_document(get_readable_synthesis_or_404(request.user, slug))


@api.get("/statements/", response=schemas.StatementPage, url_name="statements", tags=["synthèses"])
def statements(request, page: Query[PageQuery], filters: Query[FilterQuery]):
    """Les énoncés des synthèses lisibles (révision publiée la plus récente)."""
    readable = readable_syntheses(request.user).values("pk")
    queryset = data.filter_statements(
        Statement.objects.filter(section__synthesis__in=readable), _filters(filters)
    ).order_by(
        "-section__synthesis__workshop__date",
        "section__synthesis__workshop__slug",
        "section__order",
        "order",
        "pk",
    )
    return _page(request, queryset, data.statement_rows, page)


class TerritoryQuery(Schema):
    level: Level | None = Field(None, description="Un seul niveau.")
    code: str | None = Field(None, description="Code officiel exact.")
    parent: int | None = Field(
        None, ge=1, le=ID_MAX, description="Les enfants directs de ce territoire."
    )
    within: int | None = Field(
        None, ge=1, le=ID_MAX, description="Ce territoire et tout ce qu'il contient."
    )


@api.get(
    "/territories/", response=schemas.TerritoryPage, url_name="territories", tags=["territoires"]
)
def territories(request, page: Query[PageQuery], query: Query[TerritoryQuery]):
    """Le référentiel des territoires (codes officiels publics) : régions,
    départements, EPCI, communes, QPV, chacun avec son parent."""
    queryset = Territory.objects.all()
    if query.level:
        queryset = queryset.filter(level=query.level.value)
    if query.code:
        queryset = queryset.filter(code=query.code)
    if query.parent is not None:
        queryset = queryset.filter(parent_id=query.parent)
    if query.within is not None:
        inside = Territory.objects.filter(pk=query.within)
        queryset = queryset.filter(pk__in=Territory.objects.covered_by(inside).values("pk"))
    queryset = queryset.order_by("path", "pk")
    return _page(request, queryset, lambda qs: [data.territory_row(t) for t in qs], page)


@api.get(
    "/territories/{territory_id}/",
    response=schemas.TerritoryOut,
    url_name="territory",
    tags=["territoires"],
)
def territory(request, territory_id: int):
    found = Territory.objects.filter(pk=territory_id).first()
    if found is None:
        raise Http404
    return data.territory_row(found)


class FigureQuery(Schema):
    date_from: str | None = Field(None, description="Ateliers tenus ce jour ou après.")
    date_to: str | None = Field(None, description="Ateliers tenus ce jour ou avant.")
    theme: str | None = Field(None, description="Slug d'un thème.")
    kind: Kind | None = Field(None, description="Un type de note.")


@api.get(
    "/territories/{territory_id}/figures/",
    response=schemas.FiguresOut,
    url_name="territory_figures",
    tags=["territoires"],
)
def territory_figures(request, territory_id: int, query: Query[FigureQuery]):
    """Les chiffres d'un territoire et de tout ce qu'il contient : notes par
    type, par thème et par trimestre. Comme son tableau de bord : ses délégué·es
    et la coordination ; 404 pour les autres."""
    found = get_territory_for_reader(request.user, territory_id)
    filters = _filters(FilterQuery(**query.model_dump()))
    workshops = Workshop.objects.filter(
        territory__in=Territory.objects.covered_by([found]).values("pk")
    )
    return {"territory": data.territory_row(found), **data.figures(workshops, filters)}


@api.get("/themes/", response=schemas.ThemePage, url_name="themes", tags=["thèmes"])
def themes(request, page: Query[PageQuery]):
    """Le référentiel des thèmes avec lesquels les notes sont classées."""
    queryset = Theme.objects.order_by("name", "pk")
    return _page(request, queryset, lambda qs: [data.theme_row(t) for t in qs], page)
