"""What the tests are built from; tests/conftest.py wires it into fixtures.

- app: `make_app`, the app with the test configuration
- database: the test database (one per xdist worker), built once, emptied before each test
- world: `World`, which makes organisations, people and records; `Person`, a user a test signs in as
- client: `Browser`, a test client that sends forms with their CSRF token as a person's browser would; `html`
- mail: a real SMTP server and the `MailBox` it delivers to
- services: a real clamd and S3 on moto's server
- chromium: Debian's Chromium through Playwright, a live server and axe-core, for the browser tests
- files: real files of each kind the uploads accept or refuse, built on the fly
- ci: the hook that fails a CI=true run with a skipped test
"""
