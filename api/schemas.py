"""The shapes of the API's answers: what the OpenAPI document describes and
what every answer is validated against before it leaves."""

from datetime import date, datetime

from ninja import Field, Schema


class TerritoryOut(Schema):
    id: int = Field(description="Identifiant du territoire dans Atelier.")
    code: str = Field(description="Code officiel : INSEE, SIREN de l'EPCI ou code QPV.")
    level: str = Field(description="Niveau : region, departement, epci, commune ou qpv.")
    name: str = Field(description="Nom officiel.")
    parent_id: int | None = Field(description="Territoire parent (null pour une région).")


class WorkshopOut(Schema):
    slug: str = Field(description="Identifiant stable de l'atelier (dans ses adresses).")
    title: str
    date: date
    format: str = Field(description="online, in_person ou hybrid.")
    is_public: bool = Field(description="La synthèse publiée est lisible sans compte.")
    archived: bool
    territory: TerritoryOut | None = Field(description="null : atelier national.")
    carriers: list[str] = Field(description="Structures porteuses.")
    supporters: list[str] = Field(description="Structures qui soutiennent l'atelier.")


class SynthesisOut(Schema):
    workshop: str = Field(description="Slug de l'atelier.")
    title: str
    date: date
    territory: TerritoryOut | None
    revision: int = Field(description="Numéro de la révision publiée la plus récente.")
    published_at: datetime
    statement_count: int | None
    url: str = Field(description="Adresse de la page de la synthèse sur le site.")


class Support(Schema):
    groups: int = Field(description="Nombre de groupes dont une note a nourri l'énoncé (k).")
    groups_total: int | None = Field(description="Nombre de groupes du temps (n).")
    label: str = Field(description="« k groupes sur n ».")


class ThemeRef(Schema):
    slug: str
    name: str


class SectionRef(Schema):
    id: int
    order: int
    title: str


class StatementOut(Schema):
    id: int
    workshop: str
    revision: int
    section: SectionRef
    round: int | None = Field(description="Numéro du temps de l'atelier.")
    order: int
    kind: str = Field(description="success_factor, obstacle, lesson, commitment, quote ou other.")
    kind_label: str
    text: str = Field(description="Texte avec son balisage (**gras**, *italique*, listes).")
    plain_text: str = Field(description="Le même texte sans balisage.")
    speaker_actor_type: str | None = Field(description="Pour une parole : le type d'acteur.")
    support: Support
    actor_types: list[str] = Field(description="Types d'acteur des groupes sources.")
    themes: list[ThemeRef] = Field(description="Thèmes portés par les notes sources.")


class QuoteGroup(Schema):
    actor_type: str | None
    statements: list[StatementOut]


class SectionOut(Schema):
    order: int
    title: str
    round: int | None
    statements: list[StatementOut] = Field(description="Énoncés, paroles exceptées.")
    quotes: list[QuoteGroup] = Field(description="Paroles d'acteurs par type d'acteur.")


class SynthesisDocument(SynthesisOut):
    intro: str
    intro_plain: str
    sections: list[SectionOut]


class ThemeOut(Schema):
    slug: str
    name: str
    description: str


class KindCount(Schema):
    kind: str
    notes: int


class ThemeCountOut(Schema):
    theme: str = Field(description="Slug du thème.")
    name: str
    kind: str
    notes: int


class QuarterCount(Schema):
    quarter: str = Field(description="Trimestre de la date de l'atelier, ex. 2021-T1.")
    kind: str
    notes: int


class FiguresOut(Schema):
    territory: TerritoryOut
    workshop_count: int = Field(description="Ateliers du territoire et de ses descendants.")
    notes_by_kind: list[KindCount]
    themes: list[ThemeCountOut]
    quarters: list[QuarterCount]


class Page(Schema):
    count: int = Field(description="Nombre total de résultats.")
    next: str | None = Field(description="Adresse de la page suivante.")
    previous: str | None = Field(description="Adresse de la page précédente.")


class WorkshopPage(Page):
    results: list[WorkshopOut]


class SynthesisPage(Page):
    results: list[SynthesisOut]


class StatementPage(Page):
    results: list[StatementOut]


class TerritoryPage(Page):
    results: list[TerritoryOut]


class ThemePage(Page):
    results: list[ThemeOut]


class Error(Schema):
    detail: str | list
