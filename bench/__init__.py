"""Benchmarks for AP Portal: `make bench` runs `python -m bench.run`.

The run prints a table and writes bench/results.json, an object mapping each metric's name to
`{"value": number, "unit": "...", "target": "...", "ok": true|false}`. The metrics today:

- `signed_in_page_ratio_vs_hello`: requests per second of the signed-in school home page (GET /school/) divided by
  those of a bare Flask "hello" app (bench/hello.py), both under gunicorn with 2 workers, measured alternately in the
  same run (bench/hello_ratio.py); the lowest of three runs in a row. Target >= 0.40.
- `signed_in_page_rps` and `hello_rps`: the two medians behind that ratio (its lowest run's), for context.
  Informational: their target is "—" and `ok` is always true, since absolute figures depend on the machine.
- `provider_register_ratio_vs_hello` and `la_placements_ratio_vs_hello` (bench/local_authority.py): the same figure
  for a provider's register (GET /portal/attendance, its manager, pupils from five schools) and the LA officer's
  placements (GET /la/placements) on the local-authority data set, each target >= 0.25, with `_rps`.
- `page_weight_kib` (bench/page_weight.py): KiB transferred for a cold load of the signed-in school home in
  Chromium (HTML, CSS, JavaScript, fonts), target <= 120 (half the GOV.UK home page's weight); with the number of
  requests (`page_weight_requests`) and the CSS and JavaScript alone (`page_weight_css_js_kib`), informational, and
  `page_warm_load_requests`, the requests the same page makes when opened again, target <= 1 (the HTML only).
- `upload_check_5mb_ratio_vs_sha256` (bench/upload_check.py): median time of upload checks 1-5 on a 5 MB PDF divided
  by that of hashlib SHA-256 over the same bytes. Target <= 4.
- `upload_200mb_{local,s3}_extra_rss_mib` and `upload_200mb_{local,s3}_time_ratio` (bench/upload_200mb.py): a 200 MB
  PDF uploaded through the app (one gunicorn worker) to each storage backend: the worker's extra peak memory (target
  <= 40 MiB) and the time divided by a bare Flask endpoint's that only receives and stores the file (target <= 1.5);
  with the bare figures, the medians and the virus scan's own time (`upload_200mb_scan_seconds`) for context.
- `alert_email_p100_s` (bench/alerts.py): 30 absences, each posted on its own to POST /api/v1/marks of the app under
  gunicorn, with the worker running as `make run` runs it (`flask worker`) and a real SMTP server (aiosmtpd): the
  longest time from an HTTP answer arriving to that pupil's social worker's e-mail arriving at the mail server.
  Target <= 5 s; the median is `alert_email_p50_s` (informational).
- `alert_after_outage_p100_s` (bench/alerts.py): the mail server stopped for 2 minutes while 30 more absences are
  marked, then started again on the same port: the time from its restart to the last of those e-mails arriving.
  Target <= 30 s. With both, e-mails that never came (`alert_email_missing`, `alert_after_outage_missing`; a missing
  one counts as the time it was waited for, 150 s after the last answer or 180 s after the restart) and e-mails
  that came more than once (`alert_email_duplicates`, `alert_after_outage_duplicates`), each with target 0.
- `provider_register_page_p95_ms`, `la_placements_page_p95_ms` and `la_directory_page_p95_ms`
  (bench/local_authority.py, on bench/attendance.py's local-authority data set): a provider's register with pupils
  from five schools (target < 300 ms), and the LA officer's placements and directory of providers (each < 300 ms,
  <= 20 queries, full scale at most 1.5 times the tenth scale's time), with their queries and scale ratios.

The figures are reported, never asserted: these machines are shared and noisy, so the test suite holds no timed test.
A metric off its target is `"ok": false` and the exit status stays 0; the exit status is 1 only when a benchmark
could not run at all. To add a metric, see bench/run.py; `python -m bench.run NAME ...` runs only those benchmarks.
"""
