"""SerialConfig: the line settings as a frozen dataclass.

It turns into the C library's config string (the one ``aserial`` the CLI
takes), checked by the C parser, so a bad value fails early with the C
message (``ConfigurationError``, also a ``ValueError``)."""
from __future__ import annotations

import dataclasses
import enum
from typing import Any, Optional, Union

from . import _aserial

__all__ = ["SerialConfig", "Parity", "StopBits", "FlowControl"]


class Parity(str, enum.Enum):
    NONE = "none"
    ODD = "odd"
    EVEN = "even"
    MARK = "mark"
    SPACE = "space"


class StopBits(float, enum.Enum):
    ONE = 1
    ONE_POINT_FIVE = 1.5
    TWO = 2


class FlowControl(str, enum.Enum):
    NONE = "none"
    RTSCTS = "rtscts"
    XONXOFF = "xonxoff"
    DTRDSR = "dtrdsr"


_PARITY_LETTERS = {"n": "none", "o": "odd", "e": "even", "m": "mark", "s": "space"}


def _parity(v: Union[str, Parity]) -> str:
    s = str(v.value if isinstance(v, Parity) else v).lower()
    return _PARITY_LETTERS.get(s, s)


def _onoff(v: bool) -> str:
    return "on" if v else "off"


def _level(v: Optional[bool]) -> str:
    return "keep" if v is None else _onoff(v)


@dataclasses.dataclass(frozen=True)
class SerialConfig:
    """Line settings. Defaults: 115200 8N1, no flow control, exclusive
    access, DTR/RTS dropped on close, DTR and RTS left as the driver sets
    them, 4 KiB read buffer (also the largest frame), 1 MiB write queue.

    Derive changed copies with :meth:`with_changes`; apply one to an open
    port with ``port.configure(config)`` (atomic: all or nothing)."""

    baudrate: int = 115_200
    bytesize: int = 8
    parity: Union[str, Parity] = Parity.NONE
    stopbits: Union[float, StopBits] = StopBits.ONE
    flow_control: Union[str, FlowControl] = FlowControl.NONE
    exclusive: bool = True
    hupcl: bool = True
    low_latency: Union[bool, str] = False
    dtr: Optional[bool] = None
    rts: Optional[bool] = None
    rs485: bool = False
    read_buffer: int = 4096
    write_high_water: int = 1 << 20
    write_low_water: int = 0

    def __post_init__(self) -> None:
        _aserial.config_normalize(self.to_string())  # raises ConfigurationError

    def with_changes(self, **changes: Any) -> "SerialConfig":
        """A copy with the given fields changed (checked)."""
        return dataclasses.replace(self, **changes)

    def to_string(self) -> str:
        """The C config string ("baud=9600,databits=7,parity=even,...")."""
        stop = float(self.stopbits.value if isinstance(self.stopbits, StopBits)
                     else self.stopbits)
        flow = self.flow_control.value if isinstance(self.flow_control, FlowControl) \
            else str(self.flow_control)
        lowlat = self.low_latency if isinstance(self.low_latency, str) \
            else ("try" if self.low_latency else "off")
        parts = [
            f"baud={int(self.baudrate)}",
            f"databits={int(self.bytesize)}",
            f"parity={_parity(self.parity)}",
            f"stopbits={'1.5' if stop == 1.5 else int(stop)}",
            f"flow={flow}",
            f"exclusive={_onoff(self.exclusive)}",
            f"hupcl={_onoff(self.hupcl)}",
            f"lowlatency={lowlat}",
            f"dtr={_level(self.dtr)}",
            f"rts={_level(self.rts)}",
            f"rs485={_onoff(self.rs485)}",
            f"buffer={int(self.read_buffer)}",
            f"high_water={int(self.write_high_water)}",
            f"low_water={int(self.write_low_water)}",
        ]
        return ",".join(parts)

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> "SerialConfig":
        """Accept pyserial's names too (``xonxoff=True``, ``rtscts=True``)."""
        flows = []
        if kwargs.pop("rtscts", False):
            flows.append("rtscts")
        if kwargs.pop("xonxoff", False):
            flows.append("xonxoff")
        if kwargs.pop("dsrdtr", False):
            flows.append("dtrdsr")
        if flows:
            kwargs.setdefault("flow_control", "+".join(flows))
        kwargs.pop("timeout", None)
        kwargs.pop("write_timeout", None)
        return cls(**kwargs)
