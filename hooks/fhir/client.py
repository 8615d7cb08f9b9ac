"""Reading a patient's data from the CDS client's FHIR server (the prefetch fallback).

One ``httpx.AsyncClient`` per application (created in the app's lifespan) is shared by all
requests. Redirects are never followed and ``next`` links are followed only while they stay on
the same ``fhirServer`` after normalization (``hooks.fhir.urls``: dot segments, plain or
percent-encoded, are resolved before the comparison and the normalized URL is the one
requested), so the access token is never sent anywhere else. Failures raise
:class:`FhirError` with a message safe to show (no token, no response body).
"""

from __future__ import annotations

from typing import Any

import httpx

from hooks.fhir import json_numbers
from hooks.fhir.urls import OutsideBase, under_base

FHIR_ACCEPT = "application/fhir+json, application/json;q=0.9"
#: Largest FHIR response (one resource or one search page) read; a compromised or broken
#: server must not be able to exhaust our memory.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024


class FhirError(Exception):
    """The FHIR server could not give us the data (timeout, error status, unreadable body)."""


def bundle_resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The resources of a Bundle's entries, in order (entries without a resource skipped)."""
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return []
    out = []
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
            out.append(resource)
    return out


def next_link(bundle: dict[str, Any]) -> str | None:
    links = bundle.get("link")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) and url else None
    return None


def is_error_outcome(resource: dict[str, Any]) -> bool:
    if resource.get("resourceType") != "OperationOutcome":
        return False
    issues = resource.get("issue")
    if not isinstance(issues, list) or not issues:
        return True
    return any(isinstance(i, dict) and i.get("severity") in {"error", "fatal"} for i in issues)


class FhirClient:
    def __init__(self, http: httpx.AsyncClient, *, timeout: float, max_pages: int) -> None:
        self._http = http
        self._timeout = httpx.Timeout(timeout)
        self._max_pages = max_pages

    async def _get(self, url: str, token: str | None) -> dict[str, Any]:
        headers = {"Accept": FHIR_ACCEPT}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            async with self._http.stream(
                "GET", url, headers=headers, timeout=self._timeout, follow_redirects=False
            ) as response:
                if response.status_code != 200:
                    raise FhirError(f"the FHIR server answered HTTP {response.status_code}")
                content = await _read_capped(response)
        except httpx.TimeoutException:
            raise FhirError("the FHIR server did not answer in time") from None
        except httpx.HTTPError as exc:
            raise FhirError(
                f"the FHIR server could not be reached ({type(exc).__name__})"
            ) from None
        try:
            body = json_numbers.loads(content)  # numbers beyond a double are kept as text
        except ValueError:
            raise FhirError("the FHIR server sent a body that is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
            raise FhirError("the FHIR server sent something that is not a FHIR resource")
        if is_error_outcome(body):
            raise FhirError("the FHIR server answered with an OperationOutcome")
        return body

    async def read(self, base: str, path: str, token: str | None) -> dict[str, Any]:
        """``GET {base}/{path}`` for one resource."""
        return await self._get(f"{base}/{path}", token)

    async def search(self, base: str, path: str, token: str | None) -> list[dict[str, Any]]:
        """``GET {base}/{path}`` as a search, following ``next`` links."""
        bundle = await self._get(f"{base}/{path}", token)
        return await self.complete(base, bundle, token)

    async def complete(
        self, base: str, bundle: dict[str, Any], token: str | None
    ) -> list[dict[str, Any]]:
        """Every resource of a searchset, fetching the pages after ``bundle``."""
        if bundle.get("resourceType") != "Bundle":
            raise FhirError("a search answered with something that is not a Bundle")
        resources = _searchset_resources(bundle)
        url = next_link(bundle)
        pages = 1
        while url is not None:
            try:
                url = under_base(url, base)
            except OutsideBase:
                raise FhirError(
                    "a next link points outside fhirServer; it was not followed"
                ) from None
            if pages >= self._max_pages:
                raise FhirError(f"the search has more than {self._max_pages} pages")
            page = await self._get(url, token)
            if page.get("resourceType") != "Bundle":
                raise FhirError("a search page is not a Bundle")
            resources.extend(_searchset_resources(page))
            url = next_link(page)
            pages += 1
        return resources


async def _read_capped(response: httpx.Response) -> bytes:
    """The body, refused beyond ``MAX_RESPONSE_BYTES`` (declared or counted as it streams)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise FhirError(f"the FHIR server sent more than {MAX_RESPONSE_BYTES} bytes")
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            raise FhirError(f"the FHIR server sent more than {MAX_RESPONSE_BYTES} bytes")
    return bytes(body)


def _searchset_resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    resources = bundle_resources(bundle)
    if any(is_error_outcome(r) for r in resources):
        raise FhirError("a search page holds an error OperationOutcome")
    # Informational outcomes (search.mode "outcome", e.g. an ignored parameter) carry no data.
    return [r for r in resources if r.get("resourceType") != "OperationOutcome"]


def token_of(authorization: Any) -> str | None:
    """The access token of a ``fhirAuthorization`` object (a SecretStr), or None."""
    if authorization is None:
        return None
    secret = authorization.access_token
    value: str = secret.get_secret_value()
    return value or None
