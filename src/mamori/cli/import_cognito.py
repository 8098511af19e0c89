"""`mamori import-cognito`: copy a user pool from Amazon Cognito (or another Cognito-compatible
server) into this mamori through both admin APIs (`mamori.contrib.cognito_import`;
docs/migrating.md)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Any

from mamori.config import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    cmd = sub.add_parser(
        "import-cognito",
        help="copy a Cognito user pool's settings, clients, resource servers and groups into "
        "this mamori (users come over at sign-in through the UserMigration trigger)",
    )
    cmd.add_argument("--pool", required=True, help="the old user pool's id")
    cmd.add_argument(
        "--source-endpoint", dest="source_endpoint", help="the old pool's endpoint (default AWS)"
    )
    cmd.add_argument("--source-region", dest="source_region", help="default: the pool id's prefix")
    cmd.add_argument(
        "--source-profile",
        dest="source_profile",
        help="AWS profile for the old pool (default: botocore's credential chain)",
    )
    cmd.add_argument(
        "--target-endpoint",
        dest="target_endpoint",
        help="this mamori's URL (default: public_url, else http://host:port); signed with the "
        "admin credentials (MAMORI_ADMIN_* or the data directory's)",
    )
    cmd.add_argument(
        "--migration-function",
        dest="migration_function",
        help="ARN set as the new pool's UserMigration trigger (map it with trigger_targets)",
    )
    cmd.add_argument(
        "--groups-function",
        dest="groups_function",
        help="ARN set as the new pool's PostAuthentication trigger, copying group memberships",
    )
    cmd.add_argument(
        "--sign-up-function",
        dest="sign_up_function",
        help="ARN set as the new pool's PreSignUp trigger: refuses sign-ups under the old pool's "
        "usernames, emails and phone numbers while users are moving",
    )
    cmd.add_argument(
        "--legacy-sub-attribute",
        dest="legacy_sub_attribute",
        help="a custom attribute (e.g. custom:legacy_sub) added to the new pool's schema, "
        "immutable and writable by no app client, where the migration function keeps each "
        "user's old sub (its LEGACY_SUB_ATTRIBUTE)",
    )
    cmd.add_argument(
        "--no-triggers",
        dest="copy_triggers",
        action="store_false",
        help="do not copy the old pool's other Lambda triggers",
    )
    cmd.add_argument("--dry-run", dest="dry_run", action="store_true", help="only say what to do")
    cmd.add_argument(
        "--export-users",
        dest="export_users",
        help="write the old pool's users (attributes, status, groups; no passwords) as JSON lines",
    )
    cmd.add_argument(
        "--create-users",
        dest="create_users",
        action="store_true",
        help="the end of a migration: create the users not migrated yet, with their groups, "
        "and send them invitations (needs --export-users)",
    )
    cmd.add_argument(
        "--suppress-invitations",
        dest="suppress_invitations",
        action="store_true",
        help="with --create-users: send no invitation",
    )
    cmd.add_argument("--json", action="store_true", help="print the old-to-new id map as JSON")
    return cmd


def import_cognito(settings: Settings, args: argparse.Namespace) -> int:
    from mamori.composition.secrets import admin_credentials
    from mamori.contrib.cognito_import import Options, PoolCopy, make_client
    from mamori.contrib.cognito_migration import Endpoint

    if args.create_users and not args.export_users:
        print("mamori: --create-users needs --export-users", file=sys.stderr)
        return 2
    source_region = args.source_region or args.pool.split("_", 1)[0]
    if args.source_profile:
        import botocore.session

        session = botocore.session.Session(profile=args.source_profile)
        source = session.create_client(
            "cognito-idp", region_name=source_region, endpoint_url=args.source_endpoint
        )
    else:
        source = make_client(Endpoint(region=source_region, url=args.source_endpoint))
    creds = admin_credentials(settings)
    target = make_client(
        Endpoint(
            region=settings.region,
            url=args.target_endpoint
            or settings.public_url
            or f"http://{settings.host}:{settings.port}",
            access_key_id=creds.access_key_id,
            secret_access_key=creds.secret_access_key,
        )
    )
    options = Options(
        migration_function=args.migration_function,
        groups_function=args.groups_function,
        sign_up_function=args.sign_up_function,
        copy_triggers=args.copy_triggers,
        dry_run=args.dry_run,
        legacy_sub_attribute=args.legacy_sub_attribute,
    )
    copy = PoolCopy(source, target, args.pool, options)
    report = copy.run()
    if args.export_users:
        with open(args.export_users, "w", encoding="utf-8") as out:
            count = _export(source, target, args, report, out)
        report.say(f"users: {count} written to {args.export_users}")
    for line in report.lines:
        print(line, file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(report.as_json(args.pool), indent=2))
    return 1 if report.failed else 0


def _export(source: Any, target: Any, args: argparse.Namespace, report: Any, out: IO[str]) -> int:
    from mamori.contrib.cognito_users import create_user, export_users

    username_attributes: list[str] = []
    if args.create_users and report.pool_id is not None:
        pool = target.describe_user_pool(UserPoolId=report.pool_id)["UserPool"]
        username_attributes = list(pool.get("UsernameAttributes") or [])
    refused = 0

    def on_user(record: dict[str, Any]) -> None:
        nonlocal refused
        if not args.create_users:
            return
        if args.dry_run or report.pool_id is None:
            report.say(f"user {record['Username']}: would be created unless migrated")
            return
        made = create_user(
            target,
            report.pool_id,
            record,
            report,
            invite=not args.suppress_invitations,
            username_attributes=username_attributes,
            legacy_sub_attribute=args.legacy_sub_attribute,
        )
        refused += not made

    count = export_users(source, args.pool, out, on_user)
    if refused:
        report.say(f"users: {refused} not created (see above)")
        report.failed = True
    return count
