"""Background jobs of the solution library: building a large proposal (with progress) and
converting a proposal to PDF. Both are safe to run twice: they check the proposal's revision
and state before doing anything."""
from __future__ import annotations

from workbench.extensions import db
from workbench.jobs import job

from plugins.solutions import services
from plugins.solutions.models import GENERATING, Proposal


@job("solutions.build_proposal", scope="creator", max_attempts=3, on_give_up=services.mark_build_failed)
def build_proposal(ctx, *, proposal_id: int, revision: int):
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.state != GENERATING or proposal.revision != revision:
        return {"skipped": True}
    from workbench.auth.models import User

    actor = db.session.get(User, ctx.created_by_id) if ctx.created_by_id else None
    services.build_sections(proposal, actor=actor,
                            progress=lambda done, total: ctx.progress(done, total, proposal.title))
    return {"proposal_id": proposal.id, "sections": len(proposal.product_ids)}


@job("solutions.make_pdf", scope="creator", max_attempts=2)
def make_pdf(ctx, *, proposal_id: int, revision: int):
    from plugins.solutions import pdf

    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.revision != revision:
        return {"skipped": True}
    target = services.pdf_path(proposal, revision)
    if target.exists():
        return {"file": target.name}
    ctx.progress(1, 3, "docx")
    data = services.proposal_docx(proposal)
    ctx.progress(2, 3, "LibreOffice")
    converted = pdf.docx_to_pdf(data)
    partial = target.with_suffix(".part")
    partial.write_bytes(converted)
    partial.replace(target)  # atomic: a reader never sees half a file
    ctx.progress(3, 3, "PDF")
    return {"file": target.name, "bytes": len(converted)}
