"""Validation of decoded AWS JSON 1.1 requests against botocore's service model input shapes.

Wrong JSON types raise SerializationException; constraint violations raise
InvalidParameterException (ValidationException for cognito-identity) listing every violation in
AWS's own wording.
"""

from __future__ import annotations

import binascii
import json
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from mamori.protocols.java_patterns import matcher

if TYPE_CHECKING:
    from botocore.model import Shape, StructureShape

SERIALIZATION: Final = "SerializationException"
INVALID_PARAMETER: Final = "InvalidParameterException"
VALIDATION: Final = "ValidationException"
# Cognito: identity pools' front door answers model violations with ValidationException
# ("1 validation error detected: ..."); user pools answer InvalidParameterException, same words.
_INVALID_BY_SERVICE: Final = {"cognito-identity": VALIDATION}

# JSON 1.1 integers and longs are Java int and long on the AWS side.
_RANGES: Final = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
# Lists and maps the model leaves unbounded get AWS's documented limit where there is one
# (50 tags per resource, 300 identity providers per user pool plus COGNITO) and otherwise a
# cap no real request reaches (a pool has at most 50 custom and about 20 standard attributes),
# so that 100,000 entries are refused before any of them is looked at.
UNBOUNDED_COLLECTION_MAX: Final = 100
_DOCUMENTED_MAX: Final = {
    "UserPoolTagsType": 50,
    "UserPoolTagsListType": 50,
    "IdentityPoolTagsType": 50,
    "IdentityPoolTagsListType": 50,
    "SupportedIdentityProvidersListType": 301,
}


# Cognito: DomainType's pattern (one lower-case DNS label) is a prefix domain's, yet AWS takes a
# custom domain's full name in the same member (with CustomDomainConfig) and describes, updates
# and deletes it by that name. Only these four operations use DomainType; the front door lets a
# name of labels through and the domain service holds each kind to its own rule
# (domain/userpools/domains.py).
_PATTERN_OVERRIDES: Final = {
    "DomainType": (
        r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?)*$",
        253,
    ),
}


class ShapeError(Exception):
    """A request does not fit its input shape; `code` is the AWS error code to render."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def validate(shape: StructureShape, params: object, service: str = "cognito-idp") -> None:
    """Check decoded JSON `params` against an operation's input shape of `service`'s model.

    Unknown members are ignored and nulls count as absent, as AWS does. Callers must keep one
    ServiceModel: derived validators are cached per Shape object.
    """
    node = _ROOTS.get(shape)
    if node is None:
        node = _ROOTS[shape] = _compile(shape, {})
    errors: list[str] = []
    node.check(params, None, errors, False)
    if errors:
        plural = "s" if len(errors) > 1 else ""
        raise ShapeError(
            _INVALID_BY_SERVICE.get(service, INVALID_PARAMETER),
            f"{len(errors)} validation error{plural} detected: " + "; ".join(errors),
        )


# -- paths: built as cons cells while walking, rendered only when something is wrong ----------


# A map entry segment is ("key" | "value", key): a plain tuple, as one is built per entry.
_Segment: TypeAlias = "_Member | int | tuple[str, str]"
_Path: TypeAlias = "tuple[_Path, _Segment] | None"


def _segments(path: _Path) -> list[_Segment]:
    found: list[_Segment] = []
    while path is not None:
        path, segment = path
        found.append(segment)
    found.reverse()
    return found


def _wire_path(path: _Path) -> str:
    text = ""
    for segment in _segments(path):
        if isinstance(segment, _Member):
            text += f".{segment.wire}" if text else segment.wire
        elif isinstance(segment, int):
            text += f"[{segment}]"
        else:
            text += f"[{json.dumps(segment[1])}]"
    return text


def _aws_path(path: _Path) -> str:
    # AWS prints lowerCamelCase member names, 1-based list indexes as "n.member", map entries
    # as "entry.key"/"entry.value": userAttributes.1.member.value
    parts: list[str] = []
    for segment in _segments(path):
        if isinstance(segment, _Member):
            parts.append(segment.aws)
        elif isinstance(segment, int):
            parts += (str(segment + 1), "member")
        else:
            parts += ("entry", segment[0])
    return ".".join(parts)


def _wrong_type(path: _Path, expected: str) -> ShapeError:
    where = f"'{_wire_path(path)}'" if path is not None else "the request body"
    return ShapeError(SERIALIZATION, f"Unexpected type for {where}: expected {expected}")


def _violation(shown: str | None, path: _Path, constraint: str) -> str:
    value = "Value" if shown is None else f"Value {shown}"
    return f"{value} at '{_aws_path(path)}' failed to satisfy constraint: Member must {constraint}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# -- compiled validators ----------------------------------------------------------------------


class _Node:
    """A compiled shape: constraints read once from the model, then checked per request."""

    def __init__(self, shape: Shape) -> None:
        meta: dict[str, Any] = shape.metadata
        self.type_name: str = shape.type_name
        self.sensitive = bool(meta.get("sensitive", False))
        self.min: float | None = meta.get("min")
        self.max: float | None = meta.get("max")
        if self.max is None and shape.type_name in ("list", "map"):
            self.max = _DOCUMENTED_MAX.get(shape.name, UNBOUNDED_COLLECTION_MAX)

    def check(self, value: object, path: _Path, errors: list[str], hidden: bool) -> None:
        raise NotImplementedError

    def printable(self) -> bool:
        """Whether AWS would echo this value in a violation (scalars that are not sensitive)."""
        return False

    def _shown(self, value: object, hidden: bool) -> str | None:
        return None

    def _bounds(
        self, size: float, value: object, path: _Path, errors: list[str], hidden: bool, what: str
    ) -> None:
        if self.min is not None and size < self.min:
            constraint = f"have {what} greater than or equal to {_number(self.min)}"
            errors.append(_violation(self._shown(value, hidden), path, constraint))
        if self.max is not None and size > self.max:
            constraint = f"have {what} less than or equal to {_number(self.max)}"
            errors.append(_violation(self._shown(value, hidden), path, constraint))


@dataclass(frozen=True, slots=True)
class _Member:
    wire: str
    aws: str
    required: bool
    node: _Node


class _Structure(_Node):
    def __init__(self, shape: Shape) -> None:
        super().__init__(shape)
        self.document = bool(shape.metadata.get("document", False))
        self.members: tuple[_Member, ...] = ()

    def check(self, value: object, path: _Path, errors: list[str], hidden: bool) -> None:
        if self.document:  # free-form JSON of any type
            return
        if not isinstance(value, dict):
            raise _wrong_type(path, "structure")
        hidden = hidden or self.sensitive
        for member in self.members:
            item = value.get(member.wire)
            if item is not None:
                member.node.check(item, (path, member), errors, hidden)
            elif member.required:
                errors.append(_violation("null", (path, member), "not be null"))


class _List(_Node):
    member: _Node

    def check(self, value: object, path: _Path, errors: list[str], hidden: bool) -> None:
        if not isinstance(value, list):
            raise _wrong_type(path, "list")
        hidden = hidden or self.sensitive
        self._bounds(len(value), value, path, errors, hidden, "length")
        if self.max is not None and len(value) > self.max:
            return  # refused already: checking each of 100,000 entries would cost the time
        for index, item in enumerate(value):
            if item is None:
                raise _wrong_type((path, index), self.member.type_name)
            self.member.check(item, (path, index), errors, hidden)

    def _shown(self, value: object, hidden: bool) -> str | None:
        assert isinstance(value, list)
        if hidden or not self.member.printable() or len(value) > UNBOUNDED_COLLECTION_MAX:
            return None  # a huge list is not echoed back whole
        return _java_text(value)


class _Map(_Node):
    key: _Node
    value: _Node

    def check(self, value: object, path: _Path, errors: list[str], hidden: bool) -> None:
        if not isinstance(value, dict):
            raise _wrong_type(path, "map")
        hidden = hidden or self.sensitive
        self._bounds(len(value), value, path, errors, hidden, "length")
        if self.max is not None and len(value) > self.max:
            return
        for key, item in value.items():
            self.key.check(key, (path, ("key", key)), errors, hidden)
            if item is None:
                # AWS takes a null map value as no entry: amazon-cognito-identity-js sends
                # AuthParameters {"DEVICE_KEY": null} on every refresh.
                continue
            self.value.check(item, (path, ("value", key)), errors, hidden)

    def _shown(self, value: object, hidden: bool) -> str | None:
        assert isinstance(value, dict)
        printable = self.key.printable() and self.value.printable()
        short = len(value) <= UNBOUNDED_COLLECTION_MAX
        return _java_text(value) if printable and short and not hidden else None


class _String(_Node):
    def __init__(self, shape: Shape) -> None:
        super().__init__(shape)
        enum: list[str] = shape.metadata.get("enum", [])
        self.enum = frozenset(enum)
        self.enum_text = "[" + ", ".join(enum) + "]"
        self.pattern: str | None = shape.metadata.get("pattern")
        if shape.name in _PATTERN_OVERRIDES:
            self.pattern, self.max = _PATTERN_OVERRIDES[shape.name]
        self.matches = matcher(self.pattern) if self.pattern is not None else None

    def check(self, value: object, path: _Path, errors: list[str], hidden: bool) -> None:
        if not isinstance(value, str):
            raise _wrong_type(path, "string")
        self._bounds(len(value), value, path, errors, hidden, "length")
        if self.enum and value not in self.enum:
            constraint = f"satisfy enum value set: {self.enum_text}"
            errors.append(_violation(self._shown(value, hidden), path, constraint))
        if self.matches is not None and not self.matches(value):
            constraint = f"satisfy regular expression pattern: {self.pattern}"
            errors.append(_violation(self._shown(value, hidden), path, constraint))

    def printable(self) -> bool:
        return not self.sensitive

    def _shown(self, value: object, hidden: bool) -> str | None:
        return None if hidden or self.sensitive else f"'{value}'"


class _Number(_Node):
    def check(self, value: object, path: _Path, errors: list[str], hidden: bool) -> None:
        # bool is an int subclass in Python but never a JSON number.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _wrong_type(path, self.type_name)
        limits = _RANGES.get(self.type_name)
        if limits is not None:
            if not isinstance(value, int):
                raise _wrong_type(path, self.type_name)
            if not limits[0] <= value <= limits[1]:
                raise ShapeError(
                    SERIALIZATION,
                    f"Value for '{_wire_path(path)}' is out of range for {self.type_name}",
                )
        self._bounds(value, value, path, errors, hidden, "value")

    def printable(self) -> bool:
        return not self.sensitive

    def _shown(self, value: object, hidden: bool) -> str | None:
        return None if hidden or self.sensitive else f"'{value}'"


class _Boolean(_Node):
    def check(self, value: object, path: _Path, errors: list[str], hidden: bool) -> None:
        if not isinstance(value, bool):
            raise _wrong_type(path, "boolean")

    def printable(self) -> bool:
        return not self.sensitive


class _Blob(_Node):
    def check(self, value: object, path: _Path, errors: list[str], hidden: bool) -> None:
        if not isinstance(value, str):
            raise _wrong_type(path, "blob (base64 string)")
        try:
            size = len(binascii.a2b_base64(value, strict_mode=True))
        except (binascii.Error, ValueError):
            raise _wrong_type(path, "blob (base64 string)") from None
        # Lengths of blobs count decoded bytes; the bytes themselves are never echoed.
        self._bounds(size, None, path, errors, hidden, "length")


def _java_text(value: object) -> str:
    """Roughly what AWS's Java side prints for a rejected list or map of scalars."""
    if isinstance(value, list):
        return "'[" + ", ".join(_scalar_text(item) for item in value) + "]'"
    assert isinstance(value, dict)
    return "'{" + ", ".join(f"{k}={_scalar_text(v)}" for k, v in value.items()) + "}'"


def _scalar_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_KINDS: Final[dict[str, type[_Node]]] = {
    "structure": _Structure,
    "list": _List,
    "map": _Map,
    "string": _String,
    "integer": _Number,
    "long": _Number,
    "double": _Number,
    "float": _Number,
    "timestamp": _Number,  # JSON 1.1 sends timestamps as epoch seconds
    "boolean": _Boolean,
    "blob": _Blob,
}

_ROOTS: weakref.WeakKeyDictionary[Shape, _Node] = weakref.WeakKeyDictionary()


def _compile(shape: Shape, memo: dict[tuple[str, str], _Node]) -> _Node:
    # Keyed by name and traits rather than identity: botocore builds a new Shape object for every
    # reference, so a recursive shape would otherwise never terminate.
    key = (shape.name, repr(sorted(shape.metadata.items())))
    found = memo.get(key)
    if found is not None:
        return found
    kind = _KINDS.get(shape.type_name)
    if kind is None:
        raise ValueError(f"unsupported shape type {shape.type_name!r} for {shape.name}")
    node = memo[key] = kind(shape)
    if isinstance(node, _Structure):
        required = set(shape.required_members)
        node.members = tuple(
            _Member(name, name[:1].lower() + name[1:], name in required, _compile(member, memo))
            for name, member in shape.members.items()
        )
    elif isinstance(node, _List):
        node.member = _compile(shape.member, memo)
    elif isinstance(node, _Map):
        node.key = _compile(shape.key, memo)
        node.value = _compile(shape.value, memo)
    return node
