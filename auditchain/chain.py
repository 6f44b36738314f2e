"""The audit chain's hash rules and its offline verifier.

Shared by the server (which appends, signs checkpoints and exports) and the ``kdc``
client (which verifies an export without any access to the server). docs/audit.md
specifies the same rules in prose so that anyone can re-implement the verifier.

* An event's hash is SHA-256 over the UTF-8 bytes of the RFC 8785 (JCS) canonical JSON
  of its fields in ``HASHED_FIELDS`` (everything but ``hash``), as lower-case hex.
* ``prev_hash`` of event 1 is 64 zeros; of event n, the hash of event n-1.
* A checkpoint is an Ed25519 signature over the canonical JSON of
  ``{"hash", "key_id", "kind": "kdc-audit-checkpoint", "seq", "signed_at", "v": 1}``.

This package imports only the standard library (and ``cryptography`` lazily, to check
checkpoint signatures), so the client stays independent of the server's code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, NamedTuple, TypeGuard, TypeVar

if TYPE_CHECKING:  # only for annotations: cryptography is imported where keys are used
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "seq",
    "ts",
    "actor",
    "actor_id",
    "token_id",
    "action",
    "subject_type",
    "subject_id",
    "data",
    "client_addr",
    "prev_hash",
)
EXPORT_FORMAT = "kdc-audit-export"
CHECKPOINT_KIND = "kdc-audit-checkpoint"
# I-JSON (RFC 7493): integers beyond this are not exact as IEEE doubles, so JCS could not
# represent them faithfully. The writer refuses them; store larger numbers as strings.
MAX_SAFE_INT = 2**53 - 1
PROBLEM_KINDS = (
    "edited",
    "deleted",
    "inserted",
    "reordered",
    "truncated",
    "bad_checkpoint_signature",
    "malformed",
)

# An event, a checkpoint or an export's header: a JSON object as read or written.
JSONObject = Mapping[str, object]
# Checks one checkpoint's signature: ``None`` when it verifies, else why not.
SignatureCheck = Callable[[JSONObject], "str | None"]
# Trusted Ed25519 public keys by key id.
PublicKeys = Mapping[str, "Ed25519PublicKey"]

_FAST = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_ASTRAL = re.compile(r"[\U00010000-\U0010FFFF]")


# --------------------------------------------------------------------------- canonical JSON


def _es_number(x: float) -> str:
    """A double as ECMAScript's Number.prototype.toString writes it (RFC 8785 §3.2.2.3)."""
    if math.isnan(x) or math.isinf(x):
        raise ValueError("NaN and Infinity have no JSON form")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    r = repr(abs(x))  # the shortest digits that round-trip, as ECMAScript requires
    mant, _, exp_s = r.partition("e")
    exp = int(exp_s) if exp_s else 0
    ip, _, fp = mant.partition(".")
    all_digits = ip + fp
    stripped = all_digits.lstrip("0")
    s = stripped.rstrip("0")
    tz = len(stripped) - len(s)
    k = len(s)
    n = k + exp - len(fp) + tz
    if k <= n <= 21:
        out = s + "0" * (n - k)
    elif 0 < n <= 21:
        out = s[:n] + "." + s[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + s
    else:
        e = n - 1
        es = ("+" if e >= 0 else "-") + str(abs(e))
        out = (s if k == 1 else s[0] + "." + s[1:]) + "e" + es
    return sign + out


def _jcs(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise ValueError(f"integer {value} is outside ±(2^53-1); store it as a string")
        return str(int(value))
    if isinstance(value, float):
        return _es_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"object keys must be strings, not {type(key).__name__}")
        # RFC 8785 §3.2.3: sort by UTF-16 code units.
        items = sorted(value.items(), key=lambda kv: kv[0].encode("utf-16-be"))
        return (
            "{"
            + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _jcs(v) for k, v in items)
            + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    raise TypeError(f"{type(value).__name__} has no canonical JSON form")


def _plain(value: object) -> bool:
    """True when Python's json module already writes ``value`` exactly as RFC 8785 does:
    no floats, integers in the safe range, keys that sort alike in UTF-16 and code points."""
    if type(value) is str or type(value) is bool or value is None:
        return True
    if type(value) is int:
        return -MAX_SAFE_INT <= value <= MAX_SAFE_INT
    if type(value) is dict:
        return all(
            type(k) is str and (k.isascii() or not _ASTRAL.search(k)) and _plain(v)
            for k, v in value.items()
        )
    if type(value) is list or type(value) is tuple:
        return all(_plain(v) for v in value)
    return False


def canonical_json(value: object) -> bytes:
    """RFC 8785 (JCS) canonical JSON as UTF-8 bytes.

    Raises ``ValueError``/``TypeError`` for what JSON cannot carry exactly: NaN, infinities,
    integers beyond ±(2^53-1), non-string keys, lone surrogates, other Python types.
    """
    text = _FAST.encode(value) if _plain(value) else _jcs(value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("strings must be valid Unicode (no lone surrogates)") from exc


def event_body(event: JSONObject) -> dict[str, object]:
    return {name: event.get(name) for name in HASHED_FIELDS}


def event_hash(event: JSONObject) -> str:
    return hashlib.sha256(canonical_json(event_body(event))).hexdigest()


def export_line(obj: JSONObject) -> str:
    """One line of an export: the object's canonical JSON (so the verifier's fast path applies)."""
    return canonical_json(obj).decode("utf-8")


# --------------------------------------------------------------------------- checkpoints


def checkpoint_message(seq: int, chain_hash: str, signed_at: str, key_id: str) -> bytes:
    """The bytes an Ed25519 checkpoint signature covers."""
    return canonical_json(
        {
            "v": 1,
            "kind": CHECKPOINT_KIND,
            "seq": seq,
            "hash": chain_hash,
            "signed_at": signed_at,
            "key_id": key_id,
        }
    )


def key_id_of(raw_public_key: bytes) -> str:
    """A public key's id: the first 16 hex digits of SHA-256 over its 32 raw bytes."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def load_public_keys(data: bytes) -> dict[str, Ed25519PublicKey]:
    """Ed25519 public keys from PEM text (one or several), or from the JSON document served
    at ``/api/v1/audit/public-key``; returns ``{key_id: key}``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    text = data.decode("utf-8", "replace").strip()
    pems: list[str] = []
    if text.startswith("{") or text.startswith("["):
        doc = json.loads(text)
        docs = doc if isinstance(doc, list) else doc.get("keys", [doc])
        pems = [d["public_key_pem"] for d in docs if isinstance(d, dict) and "public_key_pem" in d]
    else:
        pems = re.findall(r"-----BEGIN PUBLIC KEY-----.*?-----END PUBLIC KEY-----", text, re.S)
    keys: dict[str, Ed25519PublicKey] = {}
    for pem in pems:
        key = serialization.load_pem_public_key(pem.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        keys[key_id_of(raw)] = key
    if not keys:
        raise ValueError("no Ed25519 public key found (expected PEM 'BEGIN PUBLIC KEY')")
    return keys


def signature_checker(keys: PublicKeys) -> SignatureCheck:
    """``check(checkpoint) -> None`` if its signature verifies under one of ``keys``,
    else a sentence saying why not."""

    def check(cp: JSONObject) -> str | None:
        from cryptography.exceptions import InvalidSignature

        key_id = cp.get("key_id")
        if not isinstance(key_id, str) or key_id not in keys:
            return f"signed by unknown key {key_id!r}"
        key = keys[key_id]
        seq, chain_hash, signed_at = cp.get("seq"), cp.get("hash"), cp.get("signed_at")
        if type(seq) is not int or not isinstance(chain_hash, str):
            return "the signature does not verify"
        if not isinstance(signed_at, str):
            return "the signature does not verify"
        try:
            sig = base64.b64decode(str(cp.get("signature", "")), validate=True)
            key.verify(sig, checkpoint_message(seq, chain_hash, signed_at, key_id))
        except (InvalidSignature, ValueError, TypeError):
            return "the signature does not verify"
        return None

    return check


# --------------------------------------------------------------------------- results


@dataclass
class Problem:
    seq: int | None
    kind: str  # one of PROBLEM_KINDS
    detail: str
    until: int | None = None  # for a rewritten range: the last seq it may reach

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"seq": self.seq, "kind": self.kind, "detail": self.detail}
        if self.until is not None:
            out["until"] = self.until
        return out


@dataclass
class VerifyResult:
    valid_events: int = 0
    total_events: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    last_hash: str | None = None
    checkpoints_checked: int = 0
    checkpoints_valid: int = 0
    last_checkpoint_seq: int | None = None
    problem: Problem | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "valid_events": self.valid_events,
            "total_events": self.total_events,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "last_hash": self.last_hash,
            "checkpoints_checked": self.checkpoints_checked,
            "checkpoints_valid": self.checkpoints_valid,
            "last_checkpoint_seq": self.last_checkpoint_seq,
            "problem": self.problem.as_dict() if self.problem else None,
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- verification


@dataclass(slots=True)
class Record:
    """What the verifier needs of one event: its claims and whether its hash matches it."""

    seq: int | None
    prev_hash: str | None  # None when the event has no string there
    hash: str | None
    ok: bool


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def record_of(event: JSONObject) -> Record:
    seq = event.get("seq")
    prev_hash, claimed = _str_or_none(event.get("prev_hash")), _str_or_none(event.get("hash"))
    if type(seq) is not int:
        return Record(None, prev_hash, claimed, False)
    try:
        ok = claimed is not None and event_hash(event) == claimed
    except (ValueError, TypeError):
        ok = False
    return Record(seq, prev_hash, claimed, ok)


_HASH_KEY = ',"hash":"'
_PREV_KEY = ',"prev_hash":"'
_SEQ_KEY = '","seq":'
_EVENT_SUFFIX = ',"type":"event"}'


def record_of_line(line: str) -> Record:
    """The record of one export line. Fast path: the line is the event's canonical JSON, so
    the hashed body is the line without its ``hash`` and ``type`` members; when that body
    hashes to ``hash`` it *is* the original (SHA-256), and seq/prev_hash are read from it.
    Anything else is parsed and re-canonicalised."""
    if line.endswith(_EVENT_SUFFIX):
        i = line.rfind(_HASH_KEY)
        if i > 0:
            j = i + len(_HASH_KEY)
            claimed = line[j : j + 64]
            body = line[:i] + line[j + 65 : len(line) - len(_EVENT_SUFFIX)] + "}"
            try:
                digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
            except UnicodeEncodeError:
                digest = None
            p = j + 65 + len(_PREV_KEY)
            if (
                digest == claimed
                and line[j + 64] == '"'
                and line[j + 65 : p] == _PREV_KEY
                and line[p + 64 : p + 72] == _SEQ_KEY
            ):
                end = line.find(",", p + 72)
                digits = line[p + 72 : end]
                if digits.isdigit() and digits[0] != "0":
                    return Record(int(digits), line[p : p + 64], claimed, True)
    try:
        obj = json.loads(line)
    except ValueError:
        return Record(None, None, None, False)
    if not isinstance(obj, dict):
        return Record(None, None, None, False)
    return record_of(obj)


_T = TypeVar("_T")


class _Peekable(Generic[_T]):
    def __init__(self, it: Iterable[_T]) -> None:
        self._it = iter(it)
        self._buf: list[_T] = []

    def __iter__(self) -> _Peekable[_T]:
        return self

    def __next__(self) -> _T:
        if self._buf:
            return self._buf.pop()
        return next(self._it)

    def peek(self) -> _T | None:
        if not self._buf:
            try:
                self._buf.append(next(self._it))
            except StopIteration:
                return None
        return self._buf[-1]


def _fits(rec: Record | None, seq: int, prev: str) -> TypeGuard[Record]:
    return rec is not None and rec.ok and rec.seq == seq and rec.prev_hash == prev


def _classify(
    rec: Record,
    nxt: Record | None,
    k: int,
    prev: str,
    prev_prev: str | None,
    later_has_k: bool,
    later_same_seq: int,
    first: int,
) -> Problem:
    """Name the first break: event ``rec`` stands where seq ``k`` (linking to ``prev``) was
    expected; everything before it verified. See docs/audit.md, "Classifying a break"."""
    if (
        rec.ok
        and k - 1 >= first
        and rec.seq == k - 1
        and prev_prev is not None
        and rec.prev_hash == prev_prev
    ):
        if rec.hash == prev:
            return Problem(k - 1, "inserted", f"event {k - 1} appears twice")
        return Problem(
            k - 1, "inserted", f"two different events claim seq {k - 1}; one of them was inserted"
        )
    if _fits(nxt, k, prev):
        if rec.ok and rec.seq == k + 1 and rec.prev_hash == nxt.hash and later_same_seq == 0:
            return Problem(k, "reordered", f"events {k} and {k + 1} are swapped")
        return Problem(k, "inserted", f"an extra event stands before event {k}")
    if rec.seq is None:
        return Problem(
            k,
            "malformed",
            f"the record where event {k} was expected is not an event with an integer seq",
        )
    if not rec.ok:
        return Problem(k, "edited", f"event {k}: its content does not match its hash")
    if rec.seq == k:
        if k > first:
            return Problem(
                k - 1,
                "edited",
                f"event {k - 1} was altered and re-hashed: "
                f"event {k} still links to its original hash",
            )
        return Problem(k, "edited", f"event {k} does not link to its predecessor")
    if later_has_k:
        return Problem(
            k, "reordered", f"event {rec.seq} stands where event {k} belongs; event {k} comes later"
        )
    if rec.seq > k:
        missing = f"{k}" if rec.seq == k + 1 else f"{k}–{rec.seq - 1}"
        return Problem(k, "deleted", f"event {missing} is missing")
    return Problem(k, "inserted", f"event {rec.seq} appears again where event {k} was expected")


class _Vouch(NamedTuple):
    """A checkpoint whose signature verified (or was not asked for): the chain's hash at seq."""

    seq: int
    hash: str


def verify_records(
    records: Iterable[Record],
    *,
    checkpoints: Iterable[JSONObject] = (),
    check_signature: SignatureCheck | None = None,
    after: int = 0,
    claimed_head: int | None = None,
) -> VerifyResult:
    """Verify a chain given in order (a stream: memory stays flat for any length).

    ``after``: the export starts after this seq (0 = the whole chain from the genesis).
    ``check_signature(cp) -> None | reason`` checks a checkpoint's signature; without it
    checkpoints are compared by hash only. ``claimed_head``: the head seq an export's header
    claims (an unsigned hint; catches files cut short).
    """
    cps = [dict(cp) for cp in checkpoints]
    result = VerifyResult()
    problems: list[Problem] = []
    good: list[_Vouch] = []
    for cp in cps:
        cp_seq, cp_hash = cp.get("seq"), cp.get("hash")
        if type(cp_seq) is not int or not isinstance(cp_hash, str):
            problems.append(
                Problem(
                    cp_seq if type(cp_seq) is int else None,
                    "bad_checkpoint_signature",
                    "a checkpoint is malformed",
                )
            )
            continue
        result.checkpoints_checked += 1
        if check_signature is not None:
            why = check_signature(cp)
            if why is not None:
                problems.append(
                    Problem(
                        cp_seq,
                        "bad_checkpoint_signature",
                        f"checkpoint at event {cp_seq}: {why}",
                    )
                )
                continue
        good.append(_Vouch(cp_seq, cp_hash))
    good.sort(key=lambda c: c.seq)
    wanted = {cp.seq for cp in good}

    first = after + 1
    anchor = [cp for cp in good if cp.seq == after] if after else []
    it = _Peekable(records)
    prev = GENESIS_HASH
    if after:
        if anchor:
            prev = anchor[0].hash
            result.notes.append(
                f"partial export after event {after}: anchored on the signed checkpoint at {after}"
            )
        else:
            head = it.peek()
            prev = head.prev_hash if head is not None and isinstance(head.prev_hash, str) else ""
            result.notes.append(
                f"partial export after event {after}: its link to event "
                f"{after} is taken on trust (no checkpoint at {after})"
            )
    result.first_seq = first
    expected = first
    prev_prev: str | None = None
    hash_at: dict[int, str] = {}
    accepted = 0
    # The first break: (record, next record, expected seq, prev, prev_prev).
    brk: tuple[Record, Record | None, int, str, str | None] | None = None
    later_has_k = False
    later_same = 0
    total = 0
    for rec in it:
        total += 1
        if brk is None:
            if rec.ok and rec.hash is not None and rec.seq == expected and rec.prev_hash == prev:
                if expected in wanted:
                    hash_at[expected] = rec.hash
                prev_prev, prev = prev, rec.hash
                accepted += 1
                expected += 1
                continue
            brk = (rec, it.peek(), expected, prev, prev_prev)
            continue
        if rec.seq == brk[2]:
            later_has_k = True
        if rec.seq is not None and rec.seq == brk[0].seq:
            later_same += 1
    result.total_events = total
    result.last_seq = expected - 1 if accepted else None
    result.last_hash = prev if accepted else None
    # Checkpoints are compared only below the first break: from there on the break explains
    # any difference. An inserted event claiming seq k was accepted in place of the real
    # event k, so a checkpoint at k proves nothing either (it signs the real one).
    stop_at: int | None = None
    if brk is not None:
        rec, nxt, k, p, pp = brk
        found = _classify(rec, nxt, k, p, pp, later_has_k, later_same, first)
        problems.append(found)
        stop_at = k
        if found.kind == "inserted" and found.seq is not None:
            stop_at = min(stop_at, found.seq)

    last_ok = expected - 1  # the last seq verified in order
    vouched = after  # the highest seq a good checkpoint confirmed so far
    for seq, vouched_hash in good:
        if seq <= after:
            # Before a partial export's range: only its signature can be checked.
            result.checkpoints_valid += 1
            result.last_checkpoint_seq = seq
            continue
        if stop_at is not None and seq >= stop_at:
            break
        if seq <= last_ok:
            if hash_at.get(seq) != vouched_hash:
                problems.append(
                    Problem(
                        vouched + 1,
                        "edited",
                        f"events {vouched + 1}–{seq} were rewritten: the chain's hash at event {seq} "
                        f"differs from the signed checkpoint",
                        until=seq,
                    )
                )
                break
            vouched = seq
            result.checkpoints_valid += 1
            result.last_checkpoint_seq = seq
        else:
            problems.append(
                Problem(
                    last_ok + 1,
                    "truncated",
                    f"the chain ends at event {last_ok} but a signed checkpoint covers event {seq}",
                )
            )
            break
    if claimed_head is not None and brk is None and claimed_head > last_ok:
        problems.append(
            Problem(
                last_ok + 1,
                "truncated",
                f"the export ends at event {last_ok} but its header says the "
                f"chain reached {claimed_head}",
            )
        )
    if problems:
        order = {kind: i for i, kind in enumerate(PROBLEM_KINDS)}
        problems.sort(
            key=lambda pr: (
                pr.seq if pr.seq is not None else 0,
                pr.kind == "bad_checkpoint_signature",
                order[pr.kind],
            )
        )
        result.problem = problems[0]
        if result.problem.seq is not None:
            accepted = max(0, min(accepted, result.problem.seq - first))
    result.valid_events = accepted
    if not cps:
        result.notes.append(
            "no checkpoints: a cut-off tail or a chain rewritten from the "
            "start could not be detected"
        )
    return result


def verify_events(
    events: Iterable[JSONObject],
    *,
    checkpoints: Iterable[JSONObject] = (),
    verify_signature: Callable[[JSONObject], bool] | None = None,
    check_signature: SignatureCheck | None = None,
    after: int = 0,
) -> VerifyResult:
    """Verify event dicts given in order (``verify_signature(cp) -> bool`` is the older
    form of ``check_signature``)."""
    if check_signature is None and verify_signature is not None:
        verifies = verify_signature

        def reason(cp: JSONObject) -> str | None:
            return None if verifies(cp) else "the signature does not verify"

        check_signature = reason

    return verify_records(
        (record_of(e) for e in events),
        checkpoints=checkpoints,
        check_signature=check_signature,
        after=after,
    )


# --------------------------------------------------------------------------- export files


@dataclass
class ExportFile:
    header: dict[str, object] | None
    checkpoints: list[dict[str, object]]
    path: str
    bad_lines: int = 0

    def records(self) -> Iterator[Record]:
        with open(self.path, encoding="utf-8", errors="surrogateescape") as fh:
            for raw in fh:
                line = raw.rstrip("\r\n")
                if not line.strip():
                    continue
                if line.endswith(_EVENT_SUFFIX):
                    yield record_of_line(line)
                    continue
                kind = _line_type(line)
                if kind in ("event", None):
                    yield record_of_line(line)


def _line_type(line: str) -> str | None:
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    kind = obj.get("type")
    if kind is None and "seq" in obj and "prev_hash" in obj:
        return "event"
    return kind if isinstance(kind, str) else None


def open_export(path: str) -> ExportFile:
    """Read an export's header and checkpoints (first pass); events stream on demand."""
    header: dict[str, object] | None = None
    checkpoints: list[dict[str, object]] = []
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        for raw in fh:
            if raw.endswith(',"type":"event"}\n') or raw.endswith(_EVENT_SUFFIX):
                continue
            if '"checkpoint"' not in raw and '"header"' not in raw:
                continue
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(obj, dict):
                continue
            if obj.get("type") == "checkpoint":
                checkpoints.append(obj)
            elif obj.get("type") == "header" and header is None:
                header = obj
    return ExportFile(header=header, checkpoints=checkpoints, path=path)


def read_checkpoint_file(path: str) -> list[dict[str, object]]:
    """Checkpoints from a file: JSON Lines, a JSON array, or one JSON object (an export
    file works too: its checkpoint lines are taken)."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    stripped = text.strip()
    if not stripped:
        return []
    try:
        doc = json.loads(stripped)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        doc = doc.get("items", [doc]) if "items" in doc else [doc]
    if isinstance(doc, list):
        items = doc
    else:
        items = []
        for n, line in enumerate(stripped.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: not JSON") from exc
    out = []
    for obj in items:
        if not isinstance(obj, dict):
            raise ValueError(f"{path}: a checkpoint must be a JSON object")
        if obj.get("type", "checkpoint") == "checkpoint" and "signature" in obj:
            out.append(obj)
    return out


def _cp_key(cp: JSONObject) -> tuple[object, ...]:
    return (
        cp.get("seq"),
        cp.get("hash"),
        cp.get("signed_at"),
        cp.get("key_id"),
        cp.get("signature"),
    )


def merge_checkpoints(*groups: Iterable[JSONObject]) -> list[JSONObject]:
    seen: set[tuple[object, ...]] = set()
    out: list[JSONObject] = []
    for group in groups:
        for cp in group:
            key = _cp_key(cp)
            if key not in seen:
                seen.add(key)
                out.append(cp)
    return out


def verify_export(
    path: str,
    *,
    extra_checkpoints: Iterable[JSONObject] = (),
    public_keys: PublicKeys | None = None,
) -> VerifyResult:
    """Verify an export file. Signatures are checked against ``public_keys`` when given,
    else against the keys the export's header carries (reported in the notes)."""
    exp = open_export(path)
    header = exp.header or {}
    cps = merge_checkpoints(exp.checkpoints, extra_checkpoints)
    notes = []
    keys = public_keys
    if keys is None and header.get("public_keys"):
        try:
            keys = load_public_keys(json.dumps(header["public_keys"]).encode())
            notes.append(
                "signatures checked against the key(s) inside the export ("
                + ", ".join(keys)
                + "); pass --public-key to use a key you trust"
            )
        except (ValueError, KeyError, TypeError):
            keys = None
    check = signature_checker(keys) if keys else None
    if cps and check is None:
        notes.append("no public key: checkpoints compared by hash only, signatures unchecked")
    after = header.get("after", 0)
    after = after if type(after) is int and after >= 0 else 0
    head = header.get("head_seq")
    result = verify_records(
        exp.records(),
        checkpoints=cps,
        check_signature=check,
        after=after,
        claimed_head=head if type(head) is int else None,
    )
    result.notes[:0] = notes
    return result
