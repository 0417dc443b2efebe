"""The error hierarchy: every code maps to a SerialError subclass that is
also the built-in people catch, with the C message and name."""
from __future__ import annotations

import anyio
import pytest

import aserial
from aserial import _aserial
from aserial._errors import error_from_code

pytestmark = pytest.mark.blocking

CASES = [
    (_aserial.ENOENT, FileNotFoundError), (_aserial.EACCES, PermissionError),
    (_aserial.ETIMEDOUT, TimeoutError), (_aserial.EDISCONNECTED, ConnectionError),
    (_aserial.EBADCONFIG, ValueError), (_aserial.EBADURL, ValueError),
    (_aserial.EBUSY, anyio.BusyResourceError), (_aserial.ECLOSED, anyio.ClosedResourceError),
    (_aserial.ECONNREFUSED, ConnectionRefusedError), (_aserial.ENOTSUP, NotImplementedError),
    (_aserial.ENOBUFS, anyio.DelimiterNotFound), (_aserial.EDISCONNECTED, anyio.EndOfStream),
]


@pytest.mark.parametrize("code,builtin", CASES)
def test_codes_map_to_builtins(code, builtin):
    exc = error_from_code(code, "", "the message")
    assert isinstance(exc, aserial.SerialError)
    assert isinstance(exc, builtin)
    assert str(exc) == "the message"
    assert exc.code == code
    assert exc.name == _aserial.err_name(code)


def test_oserror_subclasses_carry_errno():
    exc = error_from_code(_aserial.ENOENT, "", "no such port /dev/x")
    assert exc.errno == 2


def test_unknown_scheme_is_valueerror():
    with pytest.raises(ValueError) as ei:
        aserial.sync.SerialPort.open("bogus://x")
    assert ei.value.name in ("ASER_EBADURL", "ASER_ENOTSUP", "ASER_EINVAL")
