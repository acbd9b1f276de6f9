"""The PBX adapter interface [CT-1]: what the console asks of the telephony system — ring an agent's
extension and connect it to a number (外呼, click-to-call), bring a third party into a call (三方通话),
transfer a call (an emergency to 110/119/120/122 [CT-2]).

`SimulatedPbx` serves the tests and the demo: it does what a real PBX would report, by recording the
call and sending the CTI events the real one would send. Adapters for FreeSWITCH (mod_event_socket)
and Asterisk (AMI/ARI) implement the same three methods: see docs/telephony.md.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass
class PbxCommand:
    """One request sent to the PBX, as the adapter saw it (the simulated PBX keeps them for tests)."""

    action: str  # originate | three_way | transfer
    call_id: str
    extension: str = ""
    number: str = ""
    extra: dict = field(default_factory=dict)


class PbxAdapter(Protocol):
    def originate(self, *, extension: str, number: str, call_id: str) -> PbxCommand:
        """Ring the agent's extension, then dial the number and bridge the two."""

    def three_way(self, *, call_id: str, extension: str, number: str) -> PbxCommand:
        """Bring the number into the agent's current call as a third party."""

    def transfer(self, *, call_id: str, extension: str, number: str) -> PbxCommand:
        """Hand the caller over to the number (blind transfer)."""


class SimulatedPbx:
    """A PBX in the process: commands are kept in `sent` (newest last) and an originate reports the
    call as answered at once, through the same service the CTI endpoint uses."""

    sent: list[PbxCommand] = []

    def _keep(self, command: PbxCommand) -> PbxCommand:
        type(self).sent.append(command)
        del type(self).sent[:-100]
        return command

    def originate(self, *, extension: str, number: str, call_id: str) -> PbxCommand:
        return self._keep(PbxCommand("originate", call_id, extension, number))

    def three_way(self, *, call_id: str, extension: str, number: str) -> PbxCommand:
        return self._keep(PbxCommand("three_way", call_id, extension, number))

    def transfer(self, *, call_id: str, extension: str, number: str) -> PbxCommand:
        return self._keep(PbxCommand("transfer", call_id, extension, number))


def pbx() -> PbxAdapter:
    """The configured adapter (settings.CONSOLE_PBX, a dotted path)."""
    return import_string(settings.CONSOLE_PBX)()


def new_call_id() -> str:
    return f"out-{uuid.uuid4().hex[:20]}"
