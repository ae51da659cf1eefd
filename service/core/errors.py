"""One root error class; each error knows its HTTP status and machine-readable code."""

from __future__ import annotations

from dataclasses import dataclass


class DosewiseError(Exception):
    """Root of every error the core raises on purpose."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, fields: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class InvalidInput(DosewiseError):
    """The request is well-formed JSON but fails validation (HTTP 422)."""

    status = 422
    code = "validation_failed"


class NotFound(DosewiseError):
    status = 404
    code = "not_found"


class Unavailable(DosewiseError):
    """A backing service (Redis) cannot take the request now (HTTP 503)."""

    status = 503
    code = "unavailable"


@dataclass(frozen=True)
class Finding:
    """One problem in a data file, located by file, line and column (1-based)."""

    file: str
    line: int
    message: str
    column: int = 1
    code: str = "invalid"
    rule_id: str | None = None
    severity: str = "error"  # "error" refuses the file; "warning" is a lint finding
    hint: str | None = None  # a suggested fix, when one helps

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        rule = f" [rule {self.rule_id}]" if self.rule_id else ""
        hint = f" (hint: {self.hint})" if self.hint else ""
        level = "" if self.severity == "error" else f"{self.severity}: "
        return f"{where}: {level}{self.code}: {self.message}{rule}{hint}"

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
            "rule_id": self.rule_id,
            "severity": self.severity,
            "hint": self.hint,
        }


class DataFileError(DosewiseError):
    """A catalog, reference or rule file was refused; carries every finding with its place."""

    status = 422
    code = "data_file_invalid"

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        summary = "; ".join(str(f) for f in findings[:5])
        more = f" (+{len(findings) - 5} more)" if len(findings) > 5 else ""
        super().__init__(summary + more)
