"""Knowledge pages: browse and search, read, write (Quill editor served locally), curate
(review, publish, archive), versions with diff and restore, ratings and comments, categories."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user
from sqlalchemy import select

from workbench.errors import NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.jobs import job_for_key

from plugins.knowledge import files, importer, services
from plugins.knowledge.forms import ArticleForm, CategoryForm, CommentForm, ImportForm, SendBackForm
from plugins.knowledge.models import (
    KIND_LABELS, SPACE_LABELS, STATUS_LABELS, STATUSES, KnowledgeAttachment as Attachment,
    KnowledgeImport as ImportRun, KnowledgeTag as Tag,
)

bp = Blueprint("knowledge", __name__, url_prefix="/knowledge", template_folder="templates",
               static_folder="static", static_url_path="/knowledge-static")


def _article_or_404(article_id):
    try:
        return services.get_article(article_id, current_user)
    except NotFound:
        abort(404)


def _filters(args) -> services.ArticleFilter:
    space = args.get("space") if args.get("space") in SPACE_LABELS else None
    sort = args.get("sort") if args.get("sort") in services.SORTS else None
    q = (args.get("q") or "").strip()
    return services.ArticleFilter(q=q, space=space, category_id=args.get("category", type=int),
                                  tag=(args.get("tag") or "").strip()[:40] or None,
                                  sort=sort or ("relevance" if q else "newest"),
                                  kind=args.get("kind") if args.get("kind") in KIND_LABELS else None)


@bp.route("/")
@auth_required("session")
def index():
    filters = _filters(request.args)
    page_number = request.args.get("page", 1, type=int)
    category = None
    if filters.category_id:
        try:
            category = services.get_category(filters.category_id)
        except NotFound:
            filters.category_id = None
    if category is not None and not filters.space:
        filters.space = category.space
    results = None
    page = None
    if filters.q:
        try:
            results = services.search_articles(current_user, filters, page=page_number)
        except ServiceError as error:
            flash(str(error), "warning")
    else:
        tag = db.session.query(Tag).filter_by(name=filters.tag).first() if filters.tag else None
        if filters.tag and tag is None:
            page = None
        else:
            page = db.paginate(services.browse_query(filters, category, tag), page=page_number, per_page=20,
                               error_out=False)
    trees = {space: services.category_tree(space) for space in SPACE_LABELS}
    return render_template("knowledge/index.html", filters=filters, results=results, page=page,
                           category=category, trees=trees, spaces=SPACE_LABELS, tags=services.popular_tags(20),
                           kinds=KIND_LABELS, counts=services.counts_by_space())


@bp.route("/articles/<int:article_id>")
@auth_required("session")
def detail(article_id):
    article = _article_or_404(article_id)
    working = services.can_see_working_copy(current_user, article) and (
        request.args.get("view") == "draft" or not article.is_public)
    if article.is_public and not working:
        services.record_view(article)
        db.session.commit()
        article = _article_or_404(article_id)
    return render_template(
        "knowledge/detail.html", article=article, working=working, comments=services.comments(article),
        rated=services.has_rated(current_user, article), comment_form=CommentForm(), send_back_form=SendBackForm(),
        can_edit=services.can_edit(current_user, article), can_curate=services.can_curate(current_user),
        owner=article.owner_id == current_user.id, statuses=STATUS_LABELS, spaces=SPACE_LABELS, kinds=KIND_LABELS,
        revisions=services.revisions(article)[:5], contexts=services.declared_contexts(),
        attachments=files.attachments_of(article))


def _fill_choices(form: ArticleForm, article=None):
    form.category_id.choices = [("", _("(no category)"))] + [
        (str(node.category.id), f"{SPACE_LABELS[node.category.space]} · {'— ' * node.depth}{node.category.name}")
        for space in SPACE_LABELS for node in services.category_tree(space)]
    declared = services.declared_contexts()
    choices = [(key, f"{context.label} ({key})") for key, context in declared.items()]
    for key in (article.context_keys if article else []):
        if key not in declared:
            choices.append((key, key))
    form.contexts.choices = choices


def _save_article(form: ArticleForm, article=None):
    values = dict(title=form.title.data, body_html=form.body_html.data or "", space=form.space.data,
                  category_id=form.category_id.data or None, tags=form.tags.data,
                  contexts=form.contexts.data, customer_id=form.customer_id.data or None)
    if article is None:
        return services.create_article(current_user, kind=form.kind.data or "article", **values)
    return services.update_article(current_user, article, version=form.version.data, **values)


def _form_error(form, error: ServiceError):
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = list(target.errors or []) + [str(error)]
    else:
        flash(str(error), "danger")


@bp.route("/new", methods=["GET", "POST"])
@auth_required("session")
def new():
    if not (current_user.can(services.WRITE) or services.can_curate(current_user)):
        abort(403)
    form = ArticleForm()
    _fill_choices(form)
    if request.method == "GET":
        form.kind.data = request.args.get("kind") if request.args.get("kind") in KIND_LABELS else "article"
        form.customer_id.data = request.args.get("customer_id", "")
        if request.args.get("space") in SPACE_LABELS:
            form.space.data = request.args["space"]
    if form.validate_on_submit():
        try:
            article = _save_article(form)
            if request.form.get("action") == "submit":
                services.submit(current_user, article)
            db.session.commit()
            flash(_("Article saved."), "success")
            return redirect(url_for("knowledge.detail", article_id=article.id, view="draft"))
        except ServiceError as error:
            db.session.rollback()
            _fill_choices(form)
            _form_error(form, error)
    return render_template("knowledge/form.html", form=form, article=None, kinds=KIND_LABELS,
                           upload_url=url_for("knowledge.upload_image"))


@bp.route("/articles/<int:article_id>/edit", methods=["GET", "POST"])
@auth_required("session")
def edit(article_id):
    article = _article_or_404(article_id)
    if not services.can_edit(current_user, article):
        abort(403)
    form = ArticleForm(obj=article)
    _fill_choices(form, article)
    if request.method == "GET":
        form.category_id.data = str(article.category_id or "")
        form.tags.data = ", ".join(tag.name for tag in article.tags)
        form.contexts.data = article.context_keys
        form.customer_id.data = str(article.customer_id or "")
        form.version.data = article.version
    if form.validate_on_submit():
        try:
            _save_article(form, article)
            if request.form.get("action") == "submit" and article.status == "draft":
                services.submit(current_user, article)
            db.session.commit()
            flash(_("Article saved."), "success")
            return redirect(url_for("knowledge.detail", article_id=article.id, view="draft"))
        except ServiceError as error:
            db.session.rollback()
            article = _article_or_404(article_id)
            _fill_choices(form, article)
            _form_error(form, error)
    return render_template("knowledge/form.html", form=form, article=article, kinds=KIND_LABELS,
                           upload_url=url_for("knowledge.upload_image"))


ACTIONS = {
    "submit": (lambda article: services.submit(current_user, article), "Submitted for review."),
    "withdraw": (lambda article: services.withdraw(current_user, article), "Withdrawn from review."),
    "approve": (lambda article: services.approve(current_user, article, request.form.get("note", "")),
                "Published."),
    "archive": (lambda article: services.archive(current_user, article), "Archived."),
    "unarchive": (lambda article: services.unarchive(current_user, article), "Back from the archive."),
}


@bp.route("/articles/<int:article_id>/<any(submit, withdraw, approve, archive, unarchive):action>",
          methods=["POST"])
@auth_required("session")
def transition(article_id, action):
    article = _article_or_404(article_id)
    do, message = ACTIONS[action]
    try:
        do(article)
        db.session.commit()
        flash(_(message), "success")
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error), "danger")
    return redirect(url_for("knowledge.detail", article_id=article_id,
                            view=None if action in ("approve", "unarchive") else "draft"))


@bp.route("/articles/<int:article_id>/send-back", methods=["POST"])
@auth_required("session")
def send_back(article_id):
    article = _article_or_404(article_id)
    form = SendBackForm()
    try:
        services.send_back(current_user, article, form.comment.data or "")
        db.session.commit()
        flash(_("Sent back to the author."), "success")
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error), "danger")
    return redirect(url_for("knowledge.detail", article_id=article_id, view="draft"))


@bp.route("/articles/<int:article_id>/rate", methods=["POST"])
@auth_required("session")
def rate(article_id):
    article = _article_or_404(article_id)
    try:
        if request.form.get("undo"):
            services.unrate(current_user, article)
        else:
            services.rate_useful(current_user, article)
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error), "danger")
    return redirect(url_for("knowledge.detail", article_id=article_id))


@bp.route("/articles/<int:article_id>/comments", methods=["POST"])
@auth_required("session")
def comment(article_id):
    article = _article_or_404(article_id)
    form = CommentForm()
    try:
        services.add_comment(current_user, article, form.body.data or "")
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error), "danger")
    return redirect(url_for("knowledge.detail", article_id=article_id) + "#comments")


@bp.route("/articles/<int:article_id>/comments/<int:comment_id>/hide", methods=["POST"])
@auth_required("session")
def hide_comment(article_id, comment_id):
    article = _article_or_404(article_id)
    try:
        services.hide_comment(current_user, services.get_comment(article, comment_id))
        db.session.commit()
    except NotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    return redirect(url_for("knowledge.detail", article_id=article_id) + "#comments")


@bp.route("/articles/<int:article_id>/versions")
@auth_required("session")
def versions(article_id):
    article = _article_or_404(article_id)
    return render_template("knowledge/versions.html", article=article, revisions=services.revisions(article),
                           can_restore=services.can_curate(current_user) or article.owner_id == current_user.id)


@bp.route("/articles/<int:article_id>/versions/<int:number>")
@auth_required("session")
def version(article_id, number):
    article = _article_or_404(article_id)
    try:
        revision = services.get_revision(article, number)
    except NotFound:
        abort(404)
    return render_template("knowledge/version.html", article=article, revision=revision,
                           can_restore=services.can_curate(current_user) or article.owner_id == current_user.id)


@bp.route("/articles/<int:article_id>/diff")
@auth_required("session")
def diff(article_id):
    article = _article_or_404(article_id)
    try:
        old = services.get_revision(article, request.args.get("from", ""))
        to = request.args.get("to", "")
        new = services.get_revision(article, to) if to not in ("", "current") else None
    except NotFound:
        abort(404)
    if new is None and not services.can_see_working_copy(current_user, article):
        abort(404)
    return render_template("knowledge/diff.html", article=article, old=old, new=new,
                           rows=services.diff_revisions(article, old, new))


@bp.route("/articles/<int:article_id>/versions/<int:number>/restore", methods=["POST"])
@auth_required("session")
def restore(article_id, number):
    article = _article_or_404(article_id)
    try:
        services.restore(current_user, article, services.get_revision(article, number))
        db.session.commit()
        flash(_("Version %(number)d is the working copy again; publish it to make it current.", number=number),
              "success")
    except NotFound:
        abort(404)
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error), "danger")
    return redirect(url_for("knowledge.detail", article_id=article_id, view="draft"))


@bp.route("/mine")
@auth_required("session")
def mine():
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    page = db.paginate(services.my_articles(current_user, status), page=request.args.get("page", 1, type=int),
                       per_page=20, error_out=False)
    return render_template("knowledge/list.html", page=page, status=status, statuses=STATUS_LABELS,
                           title=_("My articles"), mode="mine", q="")


@bp.route("/review")
@auth_required("session")
def review():
    if not services.can_curate(current_user):
        abort(403)
    status = request.args.get("status", "in_review")
    status = status if status in STATUSES else None
    q = (request.args.get("q") or "").strip()[:100]
    page = db.paginate(services.curator_query(status, q), page=request.args.get("page", 1, type=int),
                       per_page=20, error_out=False)
    return render_template("knowledge/list.html", page=page, status=status, statuses=STATUS_LABELS,
                           title=_("Knowledge review"), mode="review", q=q)


@bp.route("/categories", methods=["GET", "POST"])
@auth_required("session")
def categories():
    if not services.can_curate(current_user):
        abort(403)
    form = CategoryForm()
    form.parent_id.choices = [("", _("(top level)"))] + [
        (str(node.category.id), f"{SPACE_LABELS[node.category.space]} · {'— ' * node.depth}{node.category.name}")
        for space in SPACE_LABELS for node in services.category_tree(space)]
    if form.validate_on_submit():
        try:
            parent = services.get_category(form.parent_id.data) if form.parent_id.data else None
            services.create_category(current_user, space=form.space.data, name=form.name.data, parent=parent)
            db.session.commit()
            flash(_("Category added."), "success")
            return redirect(url_for("knowledge.categories"))
        except ServiceError as error:
            db.session.rollback()
            _form_error(form, error)
    trees = {space: services.category_tree(space) for space in SPACE_LABELS}
    return render_template("knowledge/categories.html", form=form, trees=trees, spaces=SPACE_LABELS)


# --- images, attachments -------------------------------------------------------------------

@bp.route("/images", methods=["POST"])
@auth_required("session")
def upload_image():
    """The editor's image upload: JSON {url} or {message} (400)."""
    try:
        attachment = files.upload_image(current_user, request.files.get("file"))
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        return jsonify({"message": str(error)}), 400
    return jsonify({"url": files.file_url(attachment)})


@bp.route("/files/<token>")
@auth_required("session")
def file(token):
    from workbench.files import services as file_store

    try:
        _attachment, stored = files.file_for_reader(current_user, token)
        return file_store.send_stored_file(stored)
    except NotFound:
        abort(404)


@bp.route("/articles/<int:article_id>/attachments", methods=["POST"])
@auth_required("session")
def add_attachment(article_id):
    article = _article_or_404(article_id)
    try:
        files.add_attachment(current_user, article, request.files.get("file"))
        db.session.commit()
        flash(_("Attachment added."), "success")
    except ServiceError as error:
        db.session.rollback()
        flash(str(error), "danger")
    return redirect(url_for("knowledge.detail", article_id=article_id, view="draft") + "#attachments")


@bp.route("/articles/<int:article_id>/attachments/<int:attachment_id>/remove", methods=["POST"])
@auth_required("session")
def remove_attachment(article_id, attachment_id):
    article = _article_or_404(article_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.article_id != article.id:
        abort(404)
    try:
        files.remove_attachment(current_user, article, attachment)
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error), "danger")
    return redirect(url_for("knowledge.detail", article_id=article_id, view="draft") + "#attachments")


# --- bulk import -----------------------------------------------------------------------------

@bp.route("/import", methods=["GET", "POST"])
@auth_required("session")
def import_files():
    if not services.can_curate(current_user):
        abort(403)
    form = ImportForm()
    form.category_id.choices = [("", _("(no category)"))] + [
        (str(node.category.id), f"{SPACE_LABELS[node.category.space]} · {'— ' * node.depth}{node.category.name}")
        for space in SPACE_LABELS for node in services.category_tree(space)]
    if form.validate_on_submit():
        try:
            run = importer.start_import(current_user, request.files.get("file"), space=form.space.data,
                                        category_id=form.category_id.data or None)
            db.session.commit()
            return redirect(url_for("knowledge.import_run", run_id=run.id))
        except ServiceError as error:
            db.session.rollback()
            _form_error(form, error)
    runs = db.session.execute(select(ImportRun).where(ImportRun.created_by_id == current_user.id)
                              .order_by(ImportRun.id.desc()).limit(20)).scalars().all()
    return render_template("knowledge/import.html", form=form, runs=runs)


@bp.route("/import/<int:run_id>")
@auth_required("session")
def import_run(run_id):
    run = db.session.get(ImportRun, run_id)
    if run is None or (run.created_by_id != current_user.id and not services.can_curate(current_user)):
        abort(404)
    job = job_for_key(f"knowledge-import:{run.id}")
    return render_template("knowledge/import_run.html", run=run, job=job)
