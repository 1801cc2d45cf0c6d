import factory

from infohub.models import Level, RoleAssignment, Unit, User
from submissions.models import Category, Item


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"测试单位{n}")
    code = factory.Sequence(lambda n: f"unit-{n}")
    level = Level.COUNTY
    kind = Unit.Kind.COMMITTEE_OFFICE
    parent = None
    upstream = factory.SelfAttribute("parent")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    password = factory.django.Password("pw-for-tests-9")


def person(unit: Unit, *roles: str, **fields) -> User:
    user = UserFactory(**fields)
    for role in roles:
        RoleAssignment.objects.create(user=user, unit=unit, role=role)
    return user


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    title = factory.Sequence(lambda n: f"某县推进基层治理工作第{n}条")
    body = "我县聚焦基层治理，建立网格化服务机制，全县设立网格二百余个，群众满意度明显提升。"
    category = Category.WORK_PROGRESS
    contact_phone = "0571-88886666"
    source_unit = factory.SubFactory(UnitFactory)
    created_by = factory.SubFactory(UserFactory)
