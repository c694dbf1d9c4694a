"""Services hold the rules; web views, the API and the CLI call them.

Views are thin: they parse the form, call a service, and render or redirect. They never query the database and never
touch the session (no commit, add, flush or rollback): reads are named query functions here
(`placements.lists.placements_of_school(school_id)`), writes are service functions that do the work, record its
audit events and commit. tests/test_layers.py and the `views-no-sqlalchemy` import contract hold the views to it.

One transaction convention, used everywhere:

- A service function that changes data is one unit of work: it checks, changes, records the audit events and commits,
  in that order. Auditing a read (a page opened, a file downloaded, a report exported) is a change like any other: a
  service records the event and commits.
- A function that is a step of a larger unit of work does not commit: it takes `commit=False`, or says "no commit" in
  its docstring (`attendance.marks.apply_mark`, `accounts.people.create_user`), and the caller it belongs to commits.
- Views never commit. Only a service (or the CLI's and the tasks' own entry points) ends a unit of work.
- A refusal leaves nothing behind. A service raises RuleBroken (or a refusal of its own: UploadRefused,
  ImportRefused, MailNotSent) before it changes anything, or rolls back before it raises. `shared.web.apply` rolls
  back as well, as a safety net, and both sides' error handlers (shared.errors, api) call `discard_unfinished_work`
  after an unexpected error, so no half-made change can ride along with the next commit.
- Services take plain values (ids, dates, the acting User), never the request: they do not import url_for, request,
  session, g or has_request_context from flask (current_app, for configuration, is fine).
"""

from shared.extensions import db


def discard_unfinished_work() -> None:
    """Roll back whatever the current unit of work holds, for the error handlers after an unexpected error."""
    db.session.rollback()
