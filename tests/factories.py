import datetime

import factory
from django.utils import timezone

from atelier.models import (
    ActorType,
    Contribution,
    Kind,
    Organisation,
    Participant,
    Question,
    Role,
    Round,
    Theme,
    User,
    WorkingGroup,
    Workshop,
)
from synthesis.models import Section, Statement, Status, Synthesis
from territories.models import Level, Territory

PASSWORD = "un-mot-de-passe-solide"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    role = Role.ANIMATOR
    password = factory.django.Password(PASSWORD)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    level = Level.REGION
    code = factory.Sequence(lambda n: f"{n + 10}")
    name = factory.Sequence(lambda n: f"Région {n}")


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    level = Level.DEPARTEMENT
    code = factory.Sequence(lambda n: f"D{n}")
    name = factory.Sequence(lambda n: f"Territoire {n}")
    parent = factory.SubFactory(RegionFactory)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Structure {n}")


class ActorTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActorType
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Type d'acteur {n}")


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    name = factory.Sequence(lambda n: f"Thème {n}")


class WorkshopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workshop

    slug = factory.Sequence(lambda n: f"atelier-{n}")
    title = factory.Sequence(lambda n: f"Atelier {n}")
    date = datetime.date(2021, 1, 29)


class RoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Round

    workshop = factory.SubFactory(WorkshopFactory)
    order = factory.Sequence(lambda n: n + 1)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    round = factory.SubFactory(RoundFactory)
    order = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Consigne {n}")
    default_kind = Kind.SUCCESS_FACTOR


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    workshop = factory.SubFactory(WorkshopFactory)
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")


class WorkingGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingGroup
        skip_postgeneration_save = True

    round = factory.SubFactory(RoundFactory)
    number = factory.Sequence(lambda n: n + 1)

    @factory.post_generation
    def animators(self, create, extracted, **kwargs):
        if create and extracted:
            self.animators.add(*extracted)


class ContributionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contribution

    group = factory.SubFactory(WorkingGroupFactory)
    question = factory.LazyAttribute(lambda o: QuestionFactory(round=o.group.round))
    kind = Kind.SUCCESS_FACTOR
    text = factory.Sequence(lambda n: f"Note numéro {n}")


class SynthesisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Synthesis

    workshop = factory.SubFactory(WorkshopFactory)
    status = Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    synthesis = factory.SubFactory(SynthesisFactory)
    order = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Rubrique {n}")


class StatementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Statement

    section = factory.SubFactory(SectionFactory)
    text = factory.Sequence(lambda n: f"Énoncé {n}")
    kind = Kind.SUCCESS_FACTOR
