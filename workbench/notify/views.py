"""Notification pages: the list behind the header bell, preferences, reading and
administering announcements, and bulk SMS with its progress and per-recipient report."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from workbench.errors import NotFound, ServiceError
from workbench.extensions import db
from workbench.notify import announcements, bulk_sms, services, sms
from workbench.notify import settings as notify_settings
from workbench.notify.forms import CHANNEL_LABELS, AnnouncementForm, BulkSmsForm, PreferenceForm
from workbench.notify.models import Announcement, AnnouncementStatus, SmsCampaign
from workbench.org.models import OrgUnit
from workbench.page_actions import run_page_action

log = logging.getLogger(__name__)
bp = Blueprint("notify", __name__, url_prefix="/notifications")

PER_PAGE = 20


def unread_count_for_header() -> int:
    """The bell's figure: one COUNT per page, remembered for the rest of the request."""
    if not current_user.is_authenticated:
        return 0
    if "notify_unread" not in g:
        try:
            g.notify_unread = services.unread_count(current_user)
        except SQLAlchemyError:
            # The page (perhaps an error page after a failed transaction) must still render.
            log.warning("the header bell could not count unread notifications", exc_info=True)
            g.notify_unread = 0
    return g.notify_unread


def _safe_next(default: str) -> str:
    target = request.form.get("next") or request.args.get("next") or ""
    return target if target.startswith("/") and target[1:2] not in ("/", "\\") else default


def _require(permission: str) -> None:
    if not current_user.can(permission):
        abort(403)


# --- the notification list -------------------------------------------------------------------

@bp.route("/")
@auth_required("session")
def index():
    show = request.args.get("show") if request.args.get("show") in ("unread", "all") else "all"
    q = (request.args.get("q") or "").strip()
    page = db.paginate(services.list_query(current_user, unread_only=show == "unread", q=q or None),
                       page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    return render_template("notify/index.html", page=page, show=show, q=q,
                           deliveries=services.deliveries_of([n.id for n in page.items]),
                           kind_label=services.kind_label, kind_icon=services.kind_icon,
                           unread=unread_count_for_header())


@bp.route("/<int:notification_id>/open")
@auth_required("session")
def open_notification(notification_id: int):
    """Follow a notification to its page; opening it marks it read, like a mail client."""
    try:
        row = services.mark_read(current_user, notification_id)
    except NotFound:
        abort(404)
    db.session.commit()
    return redirect(row.link or url_for("notify.index"))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@auth_required("session")
def mark_read(notification_id: int):
    try:
        services.mark_read(current_user, notification_id)
    except NotFound:
        abort(404)
    db.session.commit()
    return redirect(_safe_next(url_for("notify.index")))


@bp.route("/read-all", methods=["POST"])
@auth_required("session")
def mark_all_read():
    marked = services.mark_all_read(current_user)
    db.session.commit()
    flash(_("%(count)d notifications marked as read.", count=marked), "success")
    return redirect(_safe_next(url_for("notify.index")))


@bp.route("/preferences", methods=["GET", "POST"])
@auth_required("session")
def preferences():
    current = services.preference(current_user)
    form = PreferenceForm(obj=None if request.method == "POST" else current)
    if form.validate_on_submit():
        try:
            services.save_preference(current_user, digest_enabled=form.digest_enabled.data,
                                     digest_channels=form.digest_channels.data or [])
        except ServiceError as exc:
            db.session.rollback()
            getattr(form, exc.field or "digest_channels").errors.append(str(exc.message))
        else:
            db.session.commit()
            flash(_("Preferences saved."), "success")
            return redirect(url_for("notify.preferences"))
    settings = notify_settings.current()
    return render_template("notify/preferences.html", form=form, channels=CHANNEL_LABELS,
                           email_enabled=settings.email_enabled,
                           mobile=sms.mobile_number(current_user.phone))


# --- announcements ---------------------------------------------------------------------------

@bp.route("/announcements/<int:announcement_id>")
@auth_required("session")
def announcement(announcement_id: int):
    try:
        found = announcements.read(current_user, announcement_id)
    except NotFound:
        abort(404)
    db.session.commit()
    return render_template("notify/announcement.html", announcement=found)


@bp.route("/admin/announcements")
@auth_required("session")
def announcement_admin():
    _require(announcements.PERMISSION)
    status = request.args.get("status") or ""
    q = (request.args.get("q") or "").strip()
    query = announcements.manageable(current_user)
    if status in (AnnouncementStatus.DRAFT, AnnouncementStatus.PUBLISHED, AnnouncementStatus.WITHDRAWN):
        query = query.where(Announcement.status == status)
    if q:
        query = query.where(Announcement.title.contains(q, autoescape=True))
    page = db.paginate(query.order_by(Announcement.created_at.desc(), Announcement.id.desc()),
                       page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    return render_template("notify/admin/announcements.html", page=page, status=status, q=q)


def _unit_choices() -> list[tuple[int, str]]:
    scope = current_user.scope
    query = select(OrgUnit).where(OrgUnit.active.is_(True))
    if not scope.sees_everything:
        query = query.where(OrgUnit.path.startswith(scope.unit_path or "-"))
    return [(u.id, "· " * (u.depth - 1) + u.name) for u in db.session.execute(query.order_by(OrgUnit.path)).scalars()]


@bp.route("/admin/announcements/new", methods=["GET", "POST"])
@auth_required("session")
def announcement_new():
    _require(announcements.PERMISSION)
    form = AnnouncementForm()
    form.units.choices = _unit_choices()
    if form.validate_on_submit():
        units = list(db.session.execute(
            select(OrgUnit).where(OrgUnit.id.in_(form.units.data or []))).scalars())
        try:
            created = announcements.create(current_user, title=form.title.data, body=form.body.data,
                                           target_all=form.audience.data == "all",
                                           units=units if form.audience.data != "all" else [])
            if request.form.get("publish"):
                announcements.publish(current_user, created)
        except ServiceError as exc:
            db.session.rollback()
            target = getattr(form, exc.field, None) if exc.field else None
            if target is not None:
                target.errors = list(target.errors) + [str(exc.message)]
            else:
                flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("Announcement published.") if created.status == AnnouncementStatus.PUBLISHED
                  else _("Draft saved. Publish it when it is ready."), "success")
            return redirect(url_for("notify.announcement_detail", announcement_id=created.id))
    return render_template("notify/admin/announcement_form.html", form=form)


def _managed_or_404(announcement_id: int) -> Announcement:
    _require(announcements.PERMISSION)
    try:
        return announcements.get_managed(current_user, announcement_id)
    except NotFound:
        abort(404)


@bp.route("/admin/announcements/<int:announcement_id>")
@auth_required("session")
def announcement_detail(announcement_id: int):
    return render_template("notify/admin/announcement_detail.html",
                           announcement=_managed_or_404(announcement_id))


@bp.route("/admin/announcements/<int:announcement_id>/publish", methods=["POST"])
@auth_required("session")
def announcement_publish(announcement_id: int):
    found = _managed_or_404(announcement_id)
    run_page_action(lambda: announcements.publish(current_user, found), _("Announcement published."))
    return redirect(url_for("notify.announcement_detail", announcement_id=announcement_id))


@bp.route("/admin/announcements/<int:announcement_id>/withdraw", methods=["POST"])
@auth_required("session")
def announcement_withdraw(announcement_id: int):
    found = _managed_or_404(announcement_id)
    run_page_action(lambda: announcements.withdraw(current_user, found), _("Announcement withdrawn."))
    return redirect(url_for("notify.announcement_detail", announcement_id=announcement_id))


# --- bulk SMS --------------------------------------------------------------------------------

@bp.route("/sms/")
@auth_required("session")
def campaigns():
    _require(bulk_sms.PERMISSION)
    q = (request.args.get("q") or "").strip()
    query = select(SmsCampaign)
    if q:
        query = query.where(SmsCampaign.text.contains(q, autoescape=True))
    page = db.paginate(query.order_by(SmsCampaign.created_at.desc(), SmsCampaign.id.desc()),
                       page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    return render_template("notify/sms/campaigns.html", page=page, q=q,
                           counts=bulk_sms.counts_by_status([c.id for c in page.items]))


def _contact_filter(source) -> bulk_sms.ContactFilter:
    customer = source.get("customer") or ""
    return bulk_sms.ContactFilter(q=(source.get("q") or "").strip() or None,
                                  customer_id=int(customer) if str(customer).isdigit() else None,
                                  key_only=source.get("key_only") in ("1", "on", "true"))


@bp.route("/sms/new", methods=["GET", "POST"])
@auth_required("session")
def campaign_new():
    _require(bulk_sms.PERMISSION)
    form = BulkSmsForm()
    filters = _contact_filter(request.form if request.method == "POST" else request.args)
    if request.method == "GET":
        form.q.data, form.customer.data = filters.q or "", filters.customer_id or ""
        form.key_only.data = "1" if filters.key_only else ""
    if form.validate_on_submit():
        try:
            if form.mode.data == "filter":
                campaign = bulk_sms.create_campaign(current_user, form.text.data, filters=filters)
            else:
                campaign = bulk_sms.create_campaign(current_user, form.text.data, contact_ids=form.contacts.data or [])
        except ServiceError as exc:
            db.session.rollback()
            field = getattr(form, exc.field, None) if exc.field else None
            if field is not None:
                field.errors = list(field.errors) + [str(exc.message)]
            else:
                flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("The bulk SMS is on its way to %(count)d contacts.", count=campaign.recipient_count), "success")
            return redirect(url_for("notify.campaign_detail", campaign_id=campaign.id))
    page = db.paginate(bulk_sms.contacts_query(filters), page=request.args.get("page", 1, type=int),
                       per_page=50, error_out=False)
    settings = notify_settings.current()
    return render_template("notify/sms/new.html", form=form, page=page, filters=filters,
                           segment_length=settings.sms_segment_length, max_segments=settings.sms_max_segments,
                           max_characters=sms.max_characters(settings.sms_segment_length, settings.sms_max_segments),
                           chosen=set(form.contacts.data or []), mobile_number=sms.mobile_number)


@bp.route("/sms/<int:campaign_id>")
@auth_required("session")
def campaign_detail(campaign_id: int):
    _require(bulk_sms.PERMISSION)
    try:
        campaign = bulk_sms.get_campaign(campaign_id)
    except NotFound:
        abort(404)
    status = request.args.get("status") or ""
    if status not in ("pending", "sending", "sent", "failed", "skipped"):
        status = ""
    page = db.paginate(bulk_sms.recipients_query(campaign, status or None),
                       page=request.args.get("page", 1, type=int), per_page=50, error_out=False)
    counts = bulk_sms.counts_by_status([campaign.id])[campaign.id]
    watch = campaign.job_key and (campaign.owner_id == current_user.id or current_user.can("admin.jobs"))
    return render_template("notify/sms/detail.html", campaign=campaign, page=page, status=status,
                           counts=counts, watch=watch, reason_label=bulk_sms.reason_label)


@bp.route("/sms/<int:campaign_id>/retry", methods=["POST"])
@auth_required("session")
def campaign_retry(campaign_id: int):
    _require(bulk_sms.PERMISSION)
    try:
        campaign = bulk_sms.get_campaign(campaign_id)
    except NotFound:
        abort(404)
    run_page_action(lambda: bulk_sms.retry_failed(current_user, campaign),
                    _("The failed messages are being sent again."))
    return redirect(url_for("notify.campaign_detail", campaign_id=campaign_id))
