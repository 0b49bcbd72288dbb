"""The web console: server-rendered pages at ``/console`` over the same use cases as the APIs.

The contract pages are written against (docs/console.md shows it from the user's side):

- ``app.console_app(platform, tables)`` builds the Starlette app ``http/app.py`` mounts at
  ``/console``; ``app.PAGES`` lists the areas. A ``GET /`` from a browser is sent here.
- ``session``: sign-in with an access key and secret or an IAM user's console password;
  server-side sessions in SQLite, cookie ``HttpOnly; SameSite=Strict; Path=/console``, expiring
  after ``Limits.console_session_ttl_s``; sign-out.
- ``guard``: every request but ``/signin`` and ``/static/`` needs a session (else a redirect to
  sign-in), and every POST the session's CSRF token in the form field ``csrf_token``. Pages
  get ``request.state.session`` and, for a POST, ``request.state.form`` already checked.
- ``actions.call(request, service, operation, params) -> dict``: an AWS operation (botocore's
  service and operation names; ``"sagemaker-runtime"``/``"InvokeEndpoint"`` too) as the
  signed-in principal, exactly as the API runs it (input validation, ``platform.authorize``,
  the handler); raises ``actions.AwsError`` (``code``, ``message``) for pages to show.
- ``rendering``: ``render(request, "area/page.html", {...}, error=...)``, ``redirect(request,
  "/area/...", flash=..., error=...)`` (POST-redirect-GET), ``form(request)``, ``url(request,
  path)``. Templates in ``templates/<area>/`` extend ``base.html`` (left navigation:
  ``rendering.NAVIGATION``); Jinja2 autoescapes every value. ``templates/macros.html``
  (``{% import "macros.html" as ui with context %}``): ``ui.csrf()`` in every POST form,
  ``ui.post_button(action, label, kind, confirm)``, ``ui.status(value)``,
  ``ui.copyable(id, text)``.
- ``pages/<area>.py`` exports ``routes() -> list[BaseRoute]``, paths under the console
  (``/iam/roles``, ``/sagemaker/endpoints``...). ``static/console.js`` gives live status
  (``data-live``), copy buttons (``data-copy``) and delete confirmations (``data-confirm``).
"""
