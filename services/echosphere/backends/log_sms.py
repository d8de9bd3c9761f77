"""SMS sender ``log://``: writes login codes to the log instead of a phone.

For development only: anyone who can read the log (or, through the API's
``dev_code``, the response) can log in as anyone. The composition logs a
WARNING at start when this sender is active.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


class LogSms:
    exposes_codes = True

    async def send_code(self, phone: str, code: str) -> None:
        # The phone number is masked even here; only the code is the point.
        logger.warning("login code %s for phone ending %s", code, phone[-2:])
