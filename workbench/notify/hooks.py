"""The notification centre's hook implementations: settings, pages and API, rights, the
announcements widget, the reminder and digest schedules, and the inbox's to-do events."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.contracts import MenuItem, Permission, ScheduledJob, Widget
from workbench.hookspecs import hookimpl
from workbench.notify import tasks as _tasks  # noqa: F401  (declares the notify jobs)

TODO_EVENTS = ("todo.opened", "todo.reassigned")


@hookimpl
def workbench_init_app(app):
    from workbench.notify import settings, views

    settings.install(app)  # a setting that cannot work stops start-up here, naming it
    app.jinja_env.globals["notify_unread_count"] = views.unread_count_for_header


@hookimpl
def workbench_blueprints():
    from workbench.notify.api import bp as api_bp
    from workbench.notify.views import bp

    return [bp, api_bp]


@hookimpl
def workbench_permissions():
    return [
        Permission("notify.announce", _l("Publish announcements (系统公告)"), ("province_admin", "system_admin")),
        Permission("notify.bulk_sms", _l("Send bulk SMS to the contacts of customers in scope"),
                   ("lead", "city_manager", "province_admin")),
    ]


@hookimpl
def workbench_menu_items():
    return [
        MenuItem("notify.bulk_sms", _l("Bulk SMS"), "notify.campaigns", icon="bi-chat-dots",
                 permission="notify.bulk_sms", order=60),
    ]


@hookimpl
def workbench_homepage_widgets():
    from workbench.notify import widgets

    return [
        Widget("notify.announcements", _l("Announcements"), widgets.latest_announcements,
               description=_l("The latest announcements for you; unread ones are marked"),
               default_width=6, icon="bi-megaphone"),
    ]


@hookimpl
def workbench_beat_schedule():
    return [
        ScheduledJob(name="notify.scan_reminders", job="notify.scan_reminders", schedule=300),
        ScheduledJob(name="notify.daily_digest", job="notify.send_digests", schedule="30 7 * * *"),
    ]


@hookimpl
def workbench_handle_event(event):
    if event.name not in TODO_EVENTS:
        return
    from workbench.notify import services

    services.on_todo_event(event.name, event.payload, event.actor_id)
