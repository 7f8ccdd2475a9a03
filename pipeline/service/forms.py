"""Form fields read as the OpenAPI document declares them, and no more leniently.

Requests are ``multipart/form-data``, so every field arrives as text. pydantic's lax parsing
would take more than the document's types say (``+5``, ``05`` or ``1_0`` as the integer 5;
``yes``, ``on`` or ``1`` as true), and FastAPI reads an empty field as a missing one (so it gets
its default). Here an integer or number field takes what JSON writes as one (so no ``nan`` or
``inf`` either), a boolean field ``true`` or ``false``, and an empty field, or one sent twice, is
refused: a client that follows the document, or a contract test that reads it, gets exactly what
it declares. For consent that strictness is also the point: only an explicit ``true`` enrols
anyone.
"""

from __future__ import annotations

import re
from collections import Counter

from fastapi import Request
from pydantic import BeforeValidator

from pipeline.service.errors import ServiceError

_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")  # JSON's, so no nan/inf
_BOOLEAN = {"true": True, "false": False}


def _integer_text(value):
    if isinstance(value, str) and not _INTEGER.fullmatch(value.strip()):
        raise ValueError("must be a whole number written in digits")
    return value


def _number_text(value):
    if isinstance(value, str) and not _NUMBER.fullmatch(value.strip()):
        raise ValueError("must be a finite number written as JSON writes one (digits, '.', "
                         "exponent; no nan or inf)")
    return value


def _boolean_text(value):
    if isinstance(value, str):
        if value.strip() not in _BOOLEAN:
            raise ValueError("must be true or false")
        return _BOOLEAN[value.strip()]
    return value


# Put in a field's Annotated[...] after its Form(...): Annotated[int, Form(ge=1), IntegerText]
# (before it, pydantic cannot turn the Form's constraints into JSON Schema: "ge" stays "ge").
IntegerText = BeforeValidator(_integer_text)
NumberText = BeforeValidator(_number_text)
BooleanText = BeforeValidator(_boolean_text)


async def refuse_empty_or_repeated_fields(request: Request) -> None:
    """FastAPI dependency: a field of the route sent empty is a 422 naming it, not its default,
    and so is a field sent more than once (every field the document declares takes one value;
    FastAPI would quietly keep the last). Fields the route does not take are ignored, as the
    document allows, empty, repeated or not."""
    declared = {field.alias for field in request.scope["route"].dependant.body_params}
    form = await request.form()  # parsed once by FastAPI already: this reads its cache
    items = [(name, value) for name, value in form.multi_items() if name in declared]
    problems = [f"{name}: is empty (send a value; an optional field is left out, not sent empty)"
                for name in sorted({name for name, value in items if value == ""})]
    counts = Counter(name for name, _ in items)
    problems += [f"{name}: sent {n} times (the field takes one value)"
                 for name, n in sorted(counts.items()) if n > 1]
    if problems:
        raise ServiceError(422, "invalid_request", "; ".join(problems))
