"""Log records as JSON lines, one line per record, for a log collector.

Every line has time (ISO 8601, UTC), level, logger and message; a record about a request
(django.request) adds status, method and path; a record with an exception adds its traceback
as one string (newlines escaped, so the record stays on one line).
"""

import json
import logging
from datetime import UTC, datetime


class JsonLinesFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "status_code", None) is not None:
            line["status"] = record.status_code
        request = getattr(record, "request", None)
        if isinstance(getattr(request, "path", None), str):
            line["method"] = request.method
            line["path"] = request.path
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)
