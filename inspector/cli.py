"""Flask CLI commands: ``flask seed-demo``."""

from __future__ import annotations

import click
from flask import Flask, current_app

from inspector.extensions import db


def register_commands(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
    def seed_demo_command(if_empty: bool) -> None:
        """Load the demo offices, accounts, licensees and queues (development only)."""
        from inspector.demo import ACCOUNTS, database_is_empty, seed_demo

        if current_app.config["INSPECTOR_ENV"] == "production":
            raise click.ClickException("production mode never seeds demo accounts")
        password = current_app.config["DEMO_PASSWORD"]
        if if_empty and not database_is_empty(db.session()):
            click.echo("Database already has data; demo seed skipped.")
        else:
            counts = seed_demo(db.session(), password)
            db.session.commit()
            click.echo("Seeded: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
        click.echo(f"Demo accounts (password: {password}):")
        for username, display_name, role, office in ACCOUNTS:
            click.echo(f"  {username:<14} {role:<13} {office or 'all offices'}  ({display_name})")
        required = sorted(current_app.config["MFA_REQUIRED_ROLES"])
        if required:
            click.echo(
                f"Second factor: {', '.join(required)} accounts enrol an authenticator app (TOTP) at first"
                " login, then log in with its code (INSPECTOR_MFA_REQUIRED_ROLES=none turns this off)."
            )

    @app.cli.command("purge-leads")
    def purge_leads_command() -> None:
        """Remove subjects and narrative of leads past their purge date, in every copy."""
        from inspector.leads.service import purge_due

        count = purge_due(db.session())
        db.session.commit()
        click.echo(f"Purged {count} lead{'s' if count != 1 else ''}.")

    @app.cli.command("rebuild-lead-matches")
    def rebuild_lead_matches_command() -> None:
        """Recompute every lead's match keys and matches (run after changing LEAD_MATCH_SECRET)."""
        from inspector.leads.service import rebuild_match_keys

        count = rebuild_match_keys(db.session())
        click.echo(f"Match keys rebuilt for {count} lead{'s' if count != 1 else ''}.")
