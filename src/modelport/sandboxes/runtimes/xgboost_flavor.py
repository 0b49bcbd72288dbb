"""Which built-in XGBoost container version we imitate, and what differs between versions.

Families (spec §9): 0.90-1, 0.90-2 (oldest loader and messages); 1.0-1, 1.2-1 (old output,
selectable inference); 1.2-2 and later (new output with Accept handling); 1.3-1 and later also
load every file in the model directory as an ensemble. Unknown versions >= 1.3 are new style.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:-(\d+))?")


@dataclass(frozen=True, slots=True)
class XGBoostFlavor:
    version: str
    key: tuple[int, int, int]

    @classmethod
    def parse(cls, version: str) -> XGBoostFlavor:
        match = _VERSION.match(version.strip())
        if not match:
            raise ValueError(f"Unsupported XGBoost framework version {version!r}")
        major, minor, build = (int(part) if part else 1 for part in match.groups())
        return cls(version, (major, minor, build))

    @property
    def is_090(self) -> bool:
        """0.90-x: first directory entry only, oldest content-type handling."""
        return self.key < (1, 0, 0)

    @property
    def selectable_inference(self) -> bool:
        return self.key >= (1, 0, 0)

    @property
    def new_output(self) -> bool:
        """1.2-2+: Accept-driven output, one prediction per line in CSV."""
        return self.key >= (1, 2, 2)

    @property
    def ensemble_loader(self) -> bool:
        """1.3-1+: regular files only, dotfiles skipped, several files form an ensemble."""
        return self.key >= (1, 3, 0)

    @property
    def libsvm_zero_based_shift(self) -> bool:
        """Newer parsers shift 1-based libsvm indices to 0-based; older ones use them as-is."""
        return self.new_output
