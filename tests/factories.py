"""Factories for the complaint core, shared by every app's tests."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from complaints.models import Category, Customer, RootCause, Team, TeamMembership, Ticket


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@staff.example.com")
    password = factory.django.Password("pass-word-123")
    is_active = True


class AgentFactory(UserFactory):
    """An agent in the Agents group, optionally a member of `team`."""

    username = factory.Sequence(lambda n: f"agent{n}")

    @factory.post_generation
    def groups(self, create: bool, extracted, **kwargs) -> None:
        if create:
            self.groups.add(Group.objects.get(name="Agents"))

    @factory.post_generation
    def team(self, create: bool, extracted, **kwargs) -> None:
        if create and extracted is not None:
            TeamMembership.objects.create(team=extracted, user=self, role=kwargs.get("role", "agent"))


class SupervisorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"supervisor{n}")
    is_staff = True

    @factory.post_generation
    def groups(self, create: bool, extracted, **kwargs) -> None:
        if create:
            self.groups.add(Group.objects.get(name="Supervisors"))


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"team-{n}")
    name_zh = factory.Sequence(lambda n: f"团队{n}")
    name_en = factory.Sequence(lambda n: f"Team {n}")
    function = Team.Function.CUSTOMER_SERVICE


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name_zh = factory.Sequence(lambda n: f"类别{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")


class RootCauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RootCause
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"cause-{n}")
    name_zh = "原因"
    name_en = "Cause"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = "张三"
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = factory.Sequence(lambda n: f"139{n:08d}")


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket row as it would be after opening; use services to move it."""

    class Meta:
        model = Ticket

    customer = factory.SubFactory(CustomerFactory)
    channel = Ticket.Channel.WEB
    subject = factory.Sequence(lambda n: f"Complaint {n}")
    description = "Something went wrong with my order."
