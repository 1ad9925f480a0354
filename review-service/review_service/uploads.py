"""Reading an upload of registry records: JSON lines or CSV, as the body or a multipart `file`, size-capped."""

from __future__ import annotations

from pathlib import PurePath
from typing import Literal

from fastapi import Request
from starlette.datastructures import UploadFile
from subsidy_shared.errors import PayloadTooLarge, Unprocessable, UnsupportedMediaType
from subsidy_shared.limits import MULTIPART_ALLOWANCE

Format = Literal["jsonl", "csv"]
JSONL_TYPES = frozenset(
    {"application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines"}
)
CSV_TYPES = frozenset({"text/csv", "application/csv"})
_SUFFIXES: dict[str, Format] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


async def read_upload(request: Request, limit: int) -> tuple[str, Format]:
    """The uploaded text and its format; 413 past `limit` bytes, 415 for anything but JSON lines or CSV."""
    content_type = _media_type(request.headers.get("content-type"))
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + MULTIPART_ALLOWANCE:
        raise _too_large(limit)
    if content_type == "multipart/form-data":
        async with request.form(max_files=1, max_fields=4) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise Unprocessable.at(("body", "file"), "the multipart upload carries the records as `file`")
            fmt = format_of(_media_type(upload.content_type), upload.filename)
            data = await upload.read(limit + 1)
    else:
        fmt = format_of(content_type, None)
        data = await _body(request, limit)
    if len(data) > limit:
        raise _too_large(limit)
    try:
        return data.decode("utf-8-sig"), fmt  # spreadsheet exports start with a byte-order mark
    except UnicodeDecodeError as exc:
        raise Unprocessable.at(("body",), f"the upload is not UTF-8 (byte {exc.start})") from exc


def format_of(media_type: str, filename: str | None) -> Format:
    if media_type in JSONL_TYPES:
        return "jsonl"
    if media_type in CSV_TYPES:
        return "csv"
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    raise UnsupportedMediaType("registry records come as JSON lines (application/x-ndjson) or CSV (text/csv)")


def _media_type(header: str | None) -> str:
    return (header or "").split(";")[0].strip().lower()


async def _body(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"an upload may be at most {limit} bytes; send a big file in parts", limit_bytes=limit)
