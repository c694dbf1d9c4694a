"""The upload pipeline's checks: size, name, content sniff, structure and hash, as pure functions.

`check_upload()` (in `checks`) runs them in order and either returns a `CheckedUpload` (the caller closes it) or
raises `UploadRefused` with a stable reason code from `reasons`. The virus scan and storage come after, elsewhere.
"""
