"""A sample schema with AppSync's directives: payroll only `admin` reads, articles `admin` and
`reader` read (an article's internal notes only `admin`), `me` any signed-in user."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from strawberry.extensions import SchemaExtension

from mamori.verify.strawberry import AwsAuth, AwsCognitoUserPools, identity_of

ADMIN_ONLY = AwsCognitoUserPools(cognito_groups=["admin"])


@strawberry.type(directives=[ADMIN_ONLY])
class Payslip:
    employee: str
    salary: int


@strawberry.type(directives=[AwsCognitoUserPools(cognito_groups=["admin", "reader"])])
class Article:
    title: str
    body: str
    # The field's directive overrides the type's: readers get the article without its notes.
    internal_notes: str | None = strawberry.field(directives=[ADMIN_ONLY])


ARTICLES = [
    Article(title="Hello", body="First post.", internal_notes="Check the figures."),
    Article(title="Roadmap", body="What comes next.", internal_notes="Not before Q3."),
]
PAYROLL = [Payslip(employee="alice", salary=5200), Payslip(employee="bob", salary=4800)]


@strawberry.type
class Query:
    @strawberry.field(directives=[AwsAuth(cognito_groups=["admin", "reader"])])
    def articles(self) -> list[Article]:
        return ARTICLES

    @strawberry.field(directives=[ADMIN_ONLY])
    def payroll(self) -> list[Payslip]:
        return PAYROLL

    @strawberry.field
    def me(self, info: strawberry.Info) -> str:
        """No directive: the default mode, any user of the pool (default action ALLOW)."""
        claims = identity_of(info).claims
        return str(claims.get("username") or claims.get("cognito:username"))


@strawberry.type
class Mutation:
    @strawberry.mutation(directives=[ADMIN_ONLY])
    def publish(self, title: str, body: str) -> Article:
        article = Article(title=title, body=body, internal_notes=None)
        ARTICLES.append(article)
        return article


def make_schema(*extensions: Callable[[], SchemaExtension]) -> strawberry.Schema:
    """The schema, with the extensions given (AppSyncAuth.extension() to enforce the rules)."""
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions)
