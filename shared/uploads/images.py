"""Stage 4 for images: decode the whole image, within a pixel limit, so damaged, truncated or crafted files are
refused here rather than in someone's browser or image viewer.
"""

from __future__ import annotations

from typing import IO

from PIL import Image

from shared.uploads.policy import UploadLimits
from shared.uploads.reasons import Reason, UploadRefused

# Only the decoder for the claimed type may run: Pillow would otherwise try every format it knows.
_PILLOW_FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG"}


def check_image(spool: IO[bytes], extension: str, limits: UploadLimits) -> None:
    """Stage 4 for an image; raise UploadRefused if it will not do."""
    formats = [_PILLOW_FORMATS[extension]]
    try:
        spool.seek(0)
        with Image.open(spool, formats=formats) as image:
            width, height = image.size
            # Checked on the header's dimensions, before any pixel is decoded. The limit is ours, per call:
            # Pillow's global Image.MAX_IMAGE_PIXELS is shared by the whole process and left alone.
            if width * height > limits.max_image_pixels:
                raise UploadRefused(Reason.IMAGE_TOO_LARGE, f"{width}x{height} pixels")
            image.verify()  # chunk checksums (PNG) and structure, without decoding
        spool.seek(0)
        with Image.open(spool, formats=formats) as image:
            image.load()  # decodes every pixel: truncated data fails here
    except UploadRefused:
        raise
    except Image.DecompressionBombError as exc:
        raise UploadRefused(Reason.IMAGE_TOO_LARGE, "over Pillow's own limit") from exc
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, struct.error... on bad data
        raise UploadRefused(Reason.IMAGE_UNREADABLE, f"image: {type(exc).__name__}") from exc
